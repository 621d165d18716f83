"""The checker machinery: verdicts, compare, and check_function on right and wrong code."""

import pytest
import torch

from vae_teach.checkers import Mistake, Verdict, check_function, compare
from vae_teach.elbo import ELBOTerms
from vae_teach.kl import gaussian_kl

INPUTS = [
    (
        torch.randn(4, 2, generator=torch.Generator().manual_seed(i)),
        torch.randn(4, 2, generator=torch.Generator().manual_seed(10 + i)),
    )
    for i in range(3)
]


def test_verdict():
    v = Verdict("close", "a < b")
    assert str(v) == repr(v) == "🟡 close: a < b"
    assert "a &lt; b" in v._repr_html_()
    assert Verdict("right", "ok") and not v and not Verdict("wrong", "no")
    with pytest.raises(ValueError, match="status"):
        Verdict("maybe", "")


def test_compare_statuses():
    ref = torch.tensor([1.0, 2.0, 3.0])
    assert compare(ref.clone(), ref).status == "right"
    assert compare(ref.numpy(), ref).status == "right"
    assert compare(ref * 1.001, ref).status == "close"
    assert compare(ref * 1.5, ref).status == "wrong"
    assert "wrong sign" in compare(-ref, ref).message
    assert "shape (1, 3)" in compare(ref[None], ref).message
    assert "None" in compare(None, ref).message
    assert "NaN" in compare(torch.tensor([1.0, float("nan"), 3.0]), ref).message
    assert compare(2.0, 2.0).status == "right"
    assert compare("2", 2.0).status == "wrong"


def test_compare_tuples_names_the_element():
    ref = ELBOTerms(torch.ones(2), torch.zeros(2), torch.ones(2))
    assert compare(tuple(ref), ref).status == "right"
    verdict = compare((ref.recon, ref.kl + 1, ref.elbo), ref)
    assert verdict.status == "wrong" and "[kl]" in verdict.message
    assert compare(ref.recon, ref).status == "wrong"
    assert "3 values, got 2" in compare(ref[:2], ref).message


def test_check_function_reference_is_right():
    verdict = check_function(gaussian_kl, gaussian_kl, INPUTS)
    assert verdict.status == "right" and "3 test inputs" in verdict.message


def test_check_function_wrong_solutions():
    def forgot_half(mu, logvar):
        return (mu**2 + logvar.exp() - 1 - logvar).sum(-1)

    hint = "the closed form has a factor ½"
    verdict = check_function(
        forgot_half, gaussian_kl, INPUTS, mistakes=[Mistake(hint, forgot_half)]
    )
    assert verdict.status == "wrong" and verdict.message.endswith(hint)
    verdict = check_function(lambda mu, logvar: gaussian_kl(mu, logvar).sum(), gaussian_kl, INPUTS)
    assert verdict.status == "wrong" and "shape ()" in verdict.message
    verdict = check_function(lambda mu, logvar: gaussian_kl(mu, logvar) + 1e-3, gaussian_kl, INPUTS)
    assert verdict.status == "close"


def test_check_function_catches_the_students_errors():
    def broken(mu, logvar):
        return mu @ logvar  # (4, 2) @ (4, 2): shape error

    verdict = check_function(broken, gaussian_kl, INPUTS)
    assert verdict.status == "wrong" and "RuntimeError" in verdict.message
    assert "test input 1 of 3" in verdict.message

    def stub(mu, logvar):
        raise NotImplementedError

    assert "not implemented" in check_function(stub, gaussian_kl, INPUTS).message
    assert check_function(None, gaussian_kl, INPUTS).status == "wrong"


def test_check_function_isolates_inputs_and_seeds():
    def in_place(mu, logvar):
        out = gaussian_kl(mu, logvar)
        mu.zero_()  # must not change what the reference sees
        return out

    # the reference saw pristine inputs, and the student's edit of its input is reported
    verdict = check_function(in_place, gaussian_kl, INPUTS)
    assert verdict.status == "close" and "changed its input `mu` in place" in verdict.message
    assert INPUTS[0][0].abs().sum() > 0

    def noisy(mu):
        return mu + torch.randn_like(mu)

    assert check_function(noisy, noisy, [{"mu": torch.zeros(3)}], seed=0).status == "right"
    assert check_function(noisy, noisy, [{"mu": torch.zeros(3)}]).status == "wrong"
