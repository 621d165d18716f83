"""Checkers for the "implement" exercises: right, close or wrong, and why.

A checker runs the student's function on fixed inputs, runs the package's reference on the
same inputs, and compares. It never raises: an error in the student's code becomes a "wrong"
verdict that shows the error. The first part holds the shared machinery; each notebook's
`check_<name>(student_fn) -> Verdict` functions follow in its section.
"""

import contextlib
import copy
import html
import inspect
import io
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from vae_teach.elbo import importance_weighted_bound

STATUSES = ("right", "close", "wrong")
_ICONS = {"right": "✅", "close": "🟡", "wrong": "❌"}
_COLOURS = {"right": "#1a7f37", "close": "#9a6700", "wrong": "#cf222e"}


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: status "right", "close" or "wrong", and a message saying why."""

    status: str
    message: str

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def __bool__(self) -> bool:
        return self.status == "right"

    def __str__(self) -> str:
        return f"{_ICONS[self.status]} {self.status}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 2px 8px">'
            f"{_ICONS[self.status]} <b>{self.status}</b>: {html.escape(self.message)}</div>"
        )


# How long a student's function may run on one test input before it counts as stuck.
TIME_LIMIT = 10.0  # seconds
# How much of a student's printed output is shown (the rest is counted, not shown).
PRINT_LINES, PRINT_CHARS = 20, 2000


class _TookTooLong(BaseException):
    """Raised inside a student's function when its time is up (a BaseException, so that the
    student's own `except Exception` cannot swallow it)."""


class _CappedOutput(io.TextIOBase):
    """A text stream that keeps the first PRINT_LINES lines and counts the rest."""

    def __init__(self):
        self.kept, self.lines, self.chars = [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if self.lines < PRINT_LINES and self.chars < PRINT_CHARS:
            self.kept.append(text[: PRINT_CHARS - self.chars])
            self.chars += len(text)
        self.lines += text.count("\n")
        return len(text)

    def report(self) -> str:
        """What was printed, cut to the first lines, with a count of what was left out."""
        text = "\n".join("".join(self.kept).split("\n")[:PRINT_LINES]).rstrip("\n")
        left = self.lines - text.count("\n") - 1
        if left > 0:
            text += f"\n… ({left:,} more lines of printed output not shown)"
        return text


def _call_with_time_limit(fn, args, kwargs, time_limit):
    """fn(*args, **kwargs), raising _TookTooLong after `time_limit` seconds.

    On the main thread (a script, a Jupyter kernel) a SIGALRM timer interrupts the call;
    elsewhere (or on Windows) the call runs in a daemon thread that is abandoned if late.
    """
    use_signal = (
        hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    )
    if use_signal:

        def on_alarm(signum, frame):
            raise _TookTooLong

        previous = signal.signal(signal.SIGALRM, on_alarm)
        # an alarm already set (e.g. by a test runner's timeout) is put back afterwards
        outer, _ = signal.setitimer(signal.ITIMER_REAL, time_limit)
        start = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer > 0:
                signal.setitimer(signal.ITIMER_REAL, max(1e-3, outer - (time.monotonic() - start)))
    result = {}

    def target():
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as error:  # handed back to the caller's thread below
            result["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive():
        raise _TookTooLong
    if "error" in result:
        raise result["error"]
    return result["value"]


def run_student(
    student_fn, args=(), kwargs=None, name="your function", time_limit=None, show_output=True
):
    """Call the student's function safely: returns (output, None) or (None, a wrong Verdict).

    Whatever the function does (raise, call sys.exit(), loop forever, print 100,000
    lines), the caller gets a result and the notebook carries on. What it printed is shown
    afterwards (if show_output), cut to the first PRINT_LINES lines. Only KeyboardInterrupt
    goes through.
    """
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    output = _CappedOutput()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            value = _call_with_time_limit(student_fn, tuple(args), dict(kwargs or {}), time_limit)
        return value, None
    except NotImplementedError:
        return None, Verdict("wrong", f"{name} is not implemented yet: replace the `raise` line")
    except _TookTooLong:
        return None, Verdict(
            "wrong",
            f"{name} took too long (stopped after {time_limit:g} s): look for a loop that "
            "never ends, or a loop over single elements that a tensor operation can replace",
        )
    except SystemExit:
        return None, Verdict(
            "wrong", f"{name} called sys.exit() (or exit()): return the result instead"
        )
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the student's code may raise anything
        return None, Verdict("wrong", f"{name} raised {type(error).__name__}: {error}")
    finally:
        if show_output and (output.lines or output.chars):
            print(output.report())


def _is_complex(value) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_complex()
    return isinstance(value, complex) or np.iscomplexobj(value)


def _to_array(value):
    """Tensor, number or array -> float64 NumPy array; None when it is not numeric."""
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided:  # sparse: compare its values all the same
            value = value.to_dense()
        return value.detach().cpu().double().numpy()
    if isinstance(value, (bool, int, float, np.number, np.ndarray)):
        array = np.asarray(value)
        return array.astype(np.float64) if array.dtype.kind in "biuf" else None
    return None


def _same(a, b) -> bool:
    """True when two inputs (tensors, arrays, containers, objects) hold the same values."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and not callable(a):
        return _same(vars(a), vars(b))
    return True  # numbers, strings, functions: cannot be edited in place


def changed_inputs(pristine, used, names) -> list:
    """Names of the arguments whose values differ between `pristine` and `used` copies."""
    if isinstance(pristine, dict):
        return [k for k in pristine if not _same(pristine[k], used[k])]
    pairs = enumerate(zip(pristine, used, strict=True))
    return [
        names[i] if i < len(names) else f"argument {i + 1}"
        for i, (a, b) in pairs
        if not _same(a, b)
    ]


def in_place_note(changed) -> str:
    """The sentence that tells the student which inputs their function overwrote."""
    names = ", ".join(f"`{n}`" for n in changed)
    return (
        f"your function changed its input {names} in place (e.g. with `+=`, `.exp_()` or "
        "an indexed assignment); the caller's tensors must stay as they were: compute a new "
        "tensor instead."
    )


def compare(
    student_output, reference_output, rtol=1e-5, atol=1e-6, close_rtol=1e-2, name="the output"
) -> Verdict:
    """Compare a student's output with the reference: right, close (within close_rtol), wrong.

    One rule for every checker: "right" within (rtol, atol); "close" within close_rtol of
    the values, or an absolute close_rtol / 1000 of their scale (so a 0.1 % slip, or an
    epsilon clamp that moves a value near 0, is close, not wrong); anything else is wrong.
    Tuples and lists (e.g. (mu, logvar)) are compared element by element.

    Args:
        student_output, reference_output: tensors, arrays, numbers, or tuples of them.
        rtol, atol: tolerances for "right" (as in numpy.allclose).
        close_rtol: relative tolerance for "close".
        name: what the output is called in messages.
    """
    if student_output is None:
        return Verdict("wrong", f"{name} is None: did you forget the `return`?")
    if isinstance(reference_output, (tuple, list)):
        if not isinstance(student_output, (tuple, list)):
            kind = type(student_output).__name__
            return Verdict(
                "wrong", f"{name} should be {len(reference_output)} values, got one {kind}"
            )
        if len(student_output) != len(reference_output):
            return Verdict(
                "wrong",
                f"{name} should have {len(reference_output)} values, got {len(student_output)}",
            )
        fields = getattr(reference_output, "_fields", None)
        verdicts = [
            compare(s, r, rtol, atol, close_rtol, f"{name}[{fields[i] if fields else i}]")
            for i, (s, r) in enumerate(zip(student_output, reference_output, strict=True))
        ]
        for status in ("wrong", "close"):
            for verdict in verdicts:
                if verdict.status == status:
                    return verdict
        return Verdict("right", f"{name} matches the reference")
    if isinstance(student_output, torch.Tensor) and student_output.is_meta:
        return Verdict("wrong", f"{name} is a tensor on the 'meta' device, which holds no values")
    if _is_complex(student_output):
        return Verdict(
            "wrong",
            f"{name} is complex; expected real numbers (a square root or log of a negative "
            "number somewhere?)",
        )
    try:
        student = _to_array(student_output)
    except (RuntimeError, TypeError, ValueError) as error:
        return Verdict("wrong", f"{name} cannot be read as numbers: {error}")
    reference = _to_array(reference_output)
    if reference is None:
        raise TypeError(f"cannot compare outputs of type {type(reference_output).__name__}")
    if student is None:
        return Verdict(
            "wrong", f"{name} should be a tensor or number, got {type(student_output).__name__}"
        )
    if student.shape != reference.shape:
        shapes = f"{name} has shape {tuple(student.shape)}, expected {tuple(reference.shape)}: "
        if student.size > reference.size:
            # more entries than expected: two tensors broadcast against each other
            return Verdict(
                "wrong",
                shapes + "two tensors were broadcast against each other, e.g. (N,) times "
                "(N, 1) gives (N, N). Give them matching shapes first (f_z[:, None] makes (N,) "
                "into (N, 1)).",
            )
        return Verdict("wrong", shapes + "check which dimensions you sum or average over.")
    if not np.isfinite(student).all() and np.isfinite(reference).all():
        return Verdict("wrong", f"{name} contains NaN or inf, the reference does not")
    if np.allclose(student, reference, rtol=rtol, atol=atol, equal_nan=True):
        return Verdict("right", f"{name} matches the reference")
    error = np.abs(student - reference)
    worst = np.unravel_index(np.nanargmax(error), error.shape) if error.ndim else ()
    where = f" at index {tuple(int(i) for i in worst)}" if worst else ""
    detail = f"got {student[worst]:.6g}{where}, expected {reference[worst]:.6g}"
    finite = np.abs(reference[np.isfinite(reference)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    close_atol = max(atol, 1e-3 * close_rtol * scale)
    if np.allclose(student, reference, rtol=close_rtol, atol=close_atol, equal_nan=True):
        return Verdict(
            "close",
            f"{name} is nearly right but not within tolerance: {detail}. "
            "Look for a small slip (a constant, an epsilon, float32 vs float64).",
        )
    if np.abs(reference).max() > atol and np.allclose(-student, reference, rtol=rtol, atol=atol):
        return Verdict("wrong", f"{name} has the wrong sign: {detail}.")
    return Verdict("wrong", f"{name} differs from the reference: {detail}.")


def check_function(
    student_fn,
    reference_fn,
    inputs,
    rtol=1e-5,
    atol=1e-6,
    close_rtol=1e-2,
    mistakes=None,
    seed=None,
    name=None,
) -> Verdict:
    """Run `student_fn` and `reference_fn` on each input and compare; never raises.

    The student's function gets fresh copies of the inputs, under a time limit and with
    its printing captured (`run_student`); the reference gets pristine copies; inputs the
    student's function changed in place make the verdict "close" at best.

    Args:
        student_fn: the student's function.
        reference_fn: the package's function with the same signature.
        inputs: list of argument tuples (positional) or dicts (keyword arguments).
        rtol, atol, close_rtol: tolerances, as in `compare`.
        mistakes: optional {hint: wrong_fn} or {hint: (wrong_fn, status)}: known mistakes; if
            the student's output matches wrong_fn's, the hint is added to the message, and
            the verdict becomes `status` when one is given (e.g. "close" for a slip that
            changes the value but not what training does).
        seed: if given, torch is seeded with it before every call (for random functions).
        name: the function's name in messages (default: reference_fn.__name__).
    """
    name = name or getattr(reference_fn, "__name__", "your function")
    if not callable(student_fn):
        return Verdict("wrong", f"expected a function, got {type(student_fn).__name__}")
    try:
        names = list(inspect.signature(reference_fn).parameters)
    except (TypeError, ValueError):
        names = []

    def call(fn, args):
        # fresh copies, so a function that edits its inputs in place cannot affect the other
        args = copy.deepcopy(args)
        if seed is not None:
            torch.manual_seed(seed)
        return fn(**args) if isinstance(args, dict) else fn(*args)

    for i, args in enumerate(inputs):
        where = f"test input {i + 1} of {len(inputs)}: "
        used = copy.deepcopy(args)
        if seed is not None:
            torch.manual_seed(seed)
        positional, keywords = ((), used) if isinstance(used, dict) else (used, {})
        # what the student's function prints is shown for the first test input only
        student, failed = run_student(student_fn, positional, keywords, name, show_output=i == 0)
        if failed is not None:
            if failed.message.startswith(f"{name} is not implemented"):
                return failed
            return Verdict("wrong", where + failed.message)
        reference = call(reference_fn, args)
        verdict = compare(student, reference, rtol, atol, close_rtol, f"the output of {name}")
        changed = changed_inputs(args, used, names)
        if verdict.status == "right" and not changed:
            continue
        if verdict.status == "right":
            return Verdict("close", f"{where}the output is right, but {in_place_note(changed)}")
        message = where + verdict.message
        status = verdict.status
        for hint, wrong in (mistakes or {}).items():
            wrong_fn, mistake_status = wrong if isinstance(wrong, tuple) else (wrong, None)
            try:
                matches = compare(student, call(wrong_fn, args), rtol, atol).status == "right"
            except Exception:  # a mistake that does not apply to this input
                matches = False
            if matches:
                message += f" Hint: {hint}"
                status = mistake_status or status
                break
        if changed:
            message += " Also: " + in_place_note(changed)
        return Verdict(status, message)
    plural = "s" if len(inputs) != 1 else ""
    return Verdict("right", f"{name} matches the reference on {len(inputs)} test input{plural}")


# --- 01 autoencoder ---


def _reconstruction_inputs():
    """Fixed (x, x_hat) pairs: grey-level images and sigmoid outputs, 4-D and flat."""
    generator = torch.Generator().manual_seed(101)
    pairs = []
    for shape in [(4, 1, 28, 28), (3, 784), (1, 1, 28, 28)]:
        x = torch.rand(shape, generator=generator)
        logits = 2 * torch.randn(shape, generator=generator)
        pairs.append((x, logits))
    return pairs


def check_reconstruction_loss(student_fn) -> Verdict:
    """Check `reconstruction_loss(x, x_hat)`: BCE summed over pixels, mean over the batch.

    The reference is the autoencoder's training loss, `Autoencoder.loss(x)["recon"]`:
    −log p(x|z) of independent Bernoulli pixels, from the likelihoods module.
    """
    from vae_teach.likelihoods import bernoulli_log_likelihood

    if not callable(student_fn):
        return Verdict("wrong", f"expected a function, got {type(student_fn).__name__}")
    inputs = _reconstruction_inputs()
    for i, (x, logits) in enumerate(inputs):
        where = f"test input {i + 1} of {len(inputs)} (x of shape {tuple(x.shape)}): "
        x_hat = torch.sigmoid(logits)
        used = [x.clone(), x_hat.clone()]
        student, failed = run_student(student_fn, used, name="reconstruction_loss")
        if failed is not None:
            return Verdict(
                "wrong", ("" if "not implemented" in failed.message else where) + failed.message
            )
        changed = changed_inputs([x, x_hat], used, ["x", "x_hat"])
        # BCE_b = −Σ_i [x_i log x̂_i + (1 − x_i) log(1 − x̂_i)], per example (B,)
        bce = -bernoulli_log_likelihood(x, logits)
        # loss = (1/B) Σ_b BCE_b, a scalar
        reference = bce.mean()
        verdict = compare(student, reference, rtol=1e-4, name="the loss")
        if verdict.status == "right" and changed:
            return Verdict("close", f"{where}the loss is right, but {in_place_note(changed)}")
        if verdict.status == "right":
            continue
        pixels = x[0].numel()
        # near misses: right formula, wrong reduction (a scale factor or a missing mean)
        near = {
            f"you averaged over the {pixels} pixels too; sum over pixels (nats per image) "
            "and average over the batch only.": reference / pixels,
            "you summed over the batch; average over the batch instead, so the loss does "
            "not grow with the batch size.": bce.sum(),
            "you return one loss per image; return their mean over the batch (a scalar).": bce,
        }
        for hint, value in near.items():
            if compare(student, value, rtol=1e-4, name="the loss").status == "right":
                return Verdict("close", where + hint)
        # two known slips, each named: the arguments swapped, and the logits formula fed pixels
        flat_x, flat_x_hat = x.reshape(len(x), -1), x_hat.reshape(len(x), -1)
        # swapped: −Σ [x̂ log x + (1 − x̂) log(1 − x)], per example, batch mean
        swapped = -(flat_x_hat * flat_x.log() + (1 - flat_x_hat) * (1 - flat_x).log()).sum(1)
        # BCE-with-logits applied to x̂ as if it were logits: sigmoid(x̂) is not x̂
        on_pixels = torch.nn.functional.binary_cross_entropy_with_logits(
            flat_x_hat, flat_x, reduction="none"
        ).sum(1)
        slips = {
            "the two arguments are swapped: the target x goes outside the logarithms, "
            "−[x log x̂ + (1 − x) log(1 − x̂)], and the model's x̂ inside them.": swapped,
            "that is binary_cross_entropy_with_logits applied to x_hat, which is already a "
            "probability: it takes a sigmoid of x_hat a second time. Use the probabilities "
            "directly (−[x log x̂ + (1 − x) log(1 − x̂)]) or F.binary_cross_entropy.": on_pixels,
        }
        for hint, per_example in slips.items():
            for value in (per_example.mean(), per_example.mean() / pixels):
                if compare(student, value, rtol=1e-4).status == "right":
                    return Verdict("wrong", where + hint)
        # x̂ − x squared: a fine loss, but not the one the model is trained with
        squared = (x_hat - x).pow(2).reshape(len(x), -1)
        for value in (squared.sum(1).mean(), squared.mean()):
            if compare(student, value, rtol=1e-4).status == "right":
                return Verdict(
                    "wrong",
                    where + "that is the squared error; the model uses the binary "
                    "cross-entropy −[x log x̂ + (1 − x) log(1 − x̂)].",
                )
        # the same rule as every checker: a 0.1 % slip or an epsilon clamp is "close"
        return Verdict(verdict.status, where + verdict.message)
    return Verdict("right", f"reconstruction_loss matches the reference on {len(inputs)} inputs")


# --- 02 denoising ---


def _salt_and_pepper_runs(student_fn, x, fraction, seed):
    """Call student_fn(x_copy, fraction) with torch seeded: (output, x_copy, failed verdict)."""
    x_copy = x.clone()
    torch.manual_seed(seed)
    output, failed = run_student(student_fn, (x_copy, fraction), name="salt_and_pepper")
    return output, x_copy, failed


def check_salt_and_pepper(student_fn) -> Verdict:
    """Check `salt_and_pepper(x, fraction)` by the statistics of what it changes.

    Random functions cannot be compared number by number, so the check measures, on a batch
    of grey images (every pixel 0.2 or 0.8, never 0 or 1, so every overwritten pixel shows):
    the share of pixels changed (should be `fraction`, ± 0.01), the values written (only 0
    and 1), the share of salt among them (½ ± 0.05, on dark and on bright pixels alike: a
    fair coin, not Bernoulli(x)), that different images get different pixels, that fraction
    0 changes nothing, and that x itself is left unchanged.
    """
    if not callable(student_fn):
        return Verdict("wrong", f"expected a function, got {type(student_fn).__name__}")
    # half the pixels 0.2, half 0.8, in a fixed random pattern: (64, 1, 28, 28)
    pattern = torch.rand((64, 1, 28, 28), generator=torch.Generator().manual_seed(202)) < 0.5
    grey = torch.where(pattern, 0.8, 0.2)
    verdicts = []
    for i, fraction in enumerate([0.0, 0.1, 0.3, 0.6]):
        where = f"with fraction={fraction}: "
        x_tilde, x_after, failed = _salt_and_pepper_runs(student_fn, grey, fraction, seed=i)
        if failed is not None:
            return Verdict(
                "wrong", ("" if "not implemented" in failed.message else where) + failed.message
            )
        if not isinstance(x_tilde, torch.Tensor) or x_tilde.shape != grey.shape:
            got = tuple(x_tilde.shape) if isinstance(x_tilde, torch.Tensor) else type(x_tilde)
            return Verdict(
                "wrong",
                f"{where}expected a tensor of shape {tuple(grey.shape)}, got {got}",
            )
        if x_tilde.layout != torch.strided:  # sparse: look at its values all the same
            x_tilde = x_tilde.to_dense()
        if x_tilde.is_meta or x_tilde.is_complex():
            kind = "on the 'meta' device, which holds no values" if x_tilde.is_meta else "complex"
            return Verdict("wrong", f"{where}expected real pixel values, got a tensor {kind}")
        changed = x_tilde != grey  # (B, 1, 28, 28) bool
        share = changed.float().mean().item()
        if fraction == 0:
            if share > 0:
                return Verdict("wrong", f"{where}{share:.1%} of pixels changed, expected none")
            continue
        if share == 0:
            return Verdict("wrong", f"{where}no pixel changed")
        values = x_tilde[changed]
        if not torch.all((values == 0) | (values == 1)):
            return Verdict(
                "wrong",
                f"{where}changed pixels must become 0 (pepper) or 1 (salt), "
                f"found other values such as {values[(values != 0) & (values != 1)][0]:.3g}",
            )
        salt = (values == 1).float().mean().item()
        if salt in (0.0, 1.0):
            name = "salt (1)" if salt == 1 else "pepper (0)"
            return Verdict("wrong", f"{where}every changed pixel is {name}; flip a fair coin")
        # the coin must not look at the pixel: salt as often on dark pixels as on bright ones
        bright = pattern[changed]
        salt_dark = (values[~bright] == 1).float().mean().item()
        salt_bright = (values[bright] == 1).float().mean().item()
        if abs(salt_bright - salt_dark) > 0.2:
            return Verdict(
                "wrong",
                f"{where}{salt_bright:.0%} of the changed bright pixels (0.8) became salt but "
                f"{salt_dark:.0%} of the dark ones (0.2): the coin depends on the pixel's value "
                "(Bernoulli(x)?); salt or pepper must be a fair coin, whatever the pixel was",
            )
        if torch.all(changed == changed[:1]):
            verdicts.append(
                Verdict(
                    "close",
                    f"{where}every image has the same pixels changed; "
                    "draw a new choice for each image",
                )
            )
            continue
        if abs(share - fraction) > 0.01:
            message = f"{where}{share:.1%} of the pixels changed, expected {fraction:.0%}"
            if fraction / 2.2 < share < 2.2 * fraction:
                hint = (
                    " (did you draw salt and pepper separately, each with probability `fraction`?)"
                    if share > fraction
                    else ""
                )
                verdicts.append(Verdict("close", message + hint))
                continue
            return Verdict("wrong", message)
        if abs(salt - 0.5) > 0.05:
            verdicts.append(
                Verdict("close", f"{where}{salt:.0%} of changed pixels are salt, expected ½")
            )
            continue
        if not torch.equal(x_after, grey):
            verdicts.append(
                Verdict(
                    "close",
                    f"{where}your function also changed its input x; "
                    "work on a copy (x.clone()) or use torch.where",
                )
            )
    if verdicts:
        return verdicts[0]
    return Verdict(
        "right",
        "the right share of pixels changed, to 0 or 1 half and half, fresh per image",
    )


# --- 03 ELBO ---


def _linear_gaussian_cases():
    """Fixed inputs (model, x, mu_q, cov_q) for the linear-Gaussian ELBO: d = 1 and d = 2."""
    from vae_teach.linear_gaussian import LinearGaussian

    f64 = torch.float64
    one = LinearGaussian([[1.2], [-0.7]], [0.3, -0.2], 0.8)
    two = LinearGaussian([[1.0, 0.5], [-0.3, 0.8], [0.6, -1.1]], [0.1, 0.0, -0.4], 0.5)
    # several q at once for d = 2: (3, 2) means and (3, 2, 2) covariances
    mu_many = torch.tensor([[0.0, 0.0], [1.0, -0.5], [-2.0, 1.5]], dtype=f64)
    cov_many = torch.tensor(
        [[[1.0, 0.0], [0.0, 1.0]], [[0.3, 0.1], [0.1, 0.2]], [[2.0, -0.9], [-0.9, 0.8]]], dtype=f64
    )
    return [
        (one, torch.tensor([1.5, -1.0], dtype=f64), torch.tensor([0.2], dtype=f64),
         torch.tensor([[0.5]], dtype=f64)),
        (one, torch.tensor([-0.4, 2.0], dtype=f64), torch.tensor([-1.0], dtype=f64),
         torch.tensor([[2.0]], dtype=f64)),
        (two, torch.tensor([0.7, -1.2, 0.9], dtype=f64), mu_many, cov_many),
    ]  # fmt: skip


def _elbo_without_spread(model, x, mu_q, cov_q):
    """A known mistake: E_q ‖x − Wz − b‖² taken as ‖x − W mu_q − b‖² (no tr(W cov_q Wᵀ))."""
    from vae_teach import linear_gaussian as lg

    spread = torch.diagonal(model.W @ cov_q @ model.W.T, dim1=-2, dim2=-1).sum(-1)
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * spread / model.sigma**2


def _elbo_plus_kl(model, x, mu_q, cov_q):
    """A known mistake: the KL added instead of subtracted."""
    from vae_teach import linear_gaussian as lg

    return lg.expected_log_likelihood(model, x, mu_q, cov_q) + lg.kl_to_prior(mu_q, cov_q)


def _elbo_sigma_not_squared(model, x, mu_q, cov_q):
    """A known mistake: σ used where the variance σ² belongs."""
    from vae_teach import linear_gaussian as lg

    scaled = lg.LinearGaussian(model.W, model.b, model.sigma**0.5)
    return lg.exact_elbo(scaled, x, mu_q, cov_q)


def _elbo_without_normaliser(model, x, mu_q, cov_q):
    """A known mistake: the constant −(D/2) log 2πσ² of the Gaussian density left out."""
    from vae_teach import linear_gaussian as lg

    D = model.W.shape[0]
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * D * np.log(2 * np.pi * model.sigma**2)


def _elbo_kl_without_minus_d(model, x, mu_q, cov_q):
    """A known mistake: the KL without its −d, ½[tr Σ + μᵀμ − log det Σ]."""
    from vae_teach import linear_gaussian as lg

    d = model.W.shape[1]
    return lg.exact_elbo(model, x, mu_q, cov_q) - 0.5 * d


def _elbo_spread_not_over_variance(model, x, mu_q, cov_q):
    """A known mistake: ‖x − Wμ − b‖² divided by σ², the trace term tr(W Σ Wᵀ) not."""
    from vae_teach import linear_gaussian as lg

    spread = torch.diagonal(model.W @ cov_q @ model.W.T, dim1=-2, dim2=-1).sum(-1)
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * spread / model.sigma**2 - 0.5 * spread


def _elbo_error_not_over_variance(model, x, mu_q, cov_q):
    """A known mistake: tr(W Σ Wᵀ) divided by σ², the squared error ‖x − Wμ − b‖² not."""
    from vae_teach import linear_gaussian as lg

    sq_err = ((x - mu_q @ model.W.T - model.b) ** 2).sum(-1)
    return lg.exact_elbo(model, x, mu_q, cov_q) + 0.5 * sq_err / model.sigma**2 - 0.5 * sq_err


def check_linear_gaussian_elbo(student_fn) -> Verdict:
    """Check `exact_elbo(model, x, mu_q, cov_q)` of the linear-Gaussian model (notebook 03).

    The student's function gets a `LinearGaussian` (attributes W (D, d), b (D,), sigma), x (D,),
    mu_q (..., d) and cov_q (..., d, d), all float64, and returns the ELBO (...) in nats.
    """
    from vae_teach.linear_gaussian import exact_elbo

    mistakes = {
        "E_q[‖x − Wz − b‖²] = ‖x − W mu_q − b‖² + tr(W cov_q Wᵀ): z spreads around mu_q, "
        "and the spread costs reconstruction error too.": _elbo_without_spread,
        "the KL to the prior is subtracted: ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)).": _elbo_plus_kl,
        "sigma is the standard deviation; the Gaussian density divides by σ² = sigma**2.": (
            _elbo_sigma_not_squared
        ),
        "the Gaussian density has a normaliser: log p(x|z) includes −(D/2) log 2πσ², "
        "a constant that does not move the optimum but is part of the ELBO's value.": (
            _elbo_without_normaliser
        ),
        "KL(q ‖ N(0, I)) = ½[tr Σ_q + μ_qᵀμ_q − d − log det Σ_q]: the −d is missing "
        "(it makes KL(p ‖ p) = 0).": _elbo_kl_without_minus_d,
        "both parts of E_q‖x − Wz − b‖² are divided by σ²: (‖x − W mu_q − b‖² + "
        "tr(W cov_q Wᵀ)) / sigma**2; the trace term is missing its 1/σ².": (
            _elbo_spread_not_over_variance
        ),
        "both parts of E_q‖x − Wz − b‖² are divided by σ²: (‖x − W mu_q − b‖² + "
        "tr(W cov_q Wᵀ)) / sigma**2; the squared error is missing its 1/σ².": (
            _elbo_error_not_over_variance
        ),
    }
    return check_function(
        student_fn,
        exact_elbo,
        _linear_gaussian_cases(),
        rtol=1e-6,
        atol=1e-8,
        close_rtol=1e-2,
        mistakes=mistakes,
        name="exact_elbo",
    )


# --- 04 reparameterisation ---


def _quadratic_k(z, k=0.8):
    """f(z) = Σ_d (z_d − 0.8)², a fixed test function for check_score_function_gradients."""
    # f(z) = Σ_d (z_d − k)², (N, D) -> (N,)
    return ((z - k) ** 2).sum(-1)


def _sin_sum(z):
    """f(z) = Σ_d sin(z_d) + z_0, a second test function."""
    # f(z) = Σ_d sin z_d + z_0, (N, D) -> (N,)
    return torch.sin(z).sum(-1) + z[:, 0]


def _score_inputs():
    """Fixed (f, mu, std, eps) test inputs, float64."""
    gen = torch.Generator().manual_seed(4)
    inputs = []
    for f, dim in [(_quadratic_k, 1), (_quadratic_k, 3), (_sin_sum, 2)]:
        mu = torch.randn(dim, generator=gen, dtype=torch.float64)
        std = torch.rand(dim, generator=gen, dtype=torch.float64) + 0.5
        eps = torch.randn(64, dim, generator=gen, dtype=torch.float64)
        inputs.append((f, mu, std, eps))
    return inputs


def check_score_function_gradients(student_fn) -> Verdict:
    """Check `score_function_gradients(f, mu, std, eps) -> (grad_mu, grad_std)`, each (N, D)."""
    from vae_teach.estimators import reparameterisation_gradients, score_function_gradients

    def no_minus_one(f, mu, std, eps):
        f_z = f(mu + std * eps).reshape(-1, 1)
        return f_z * eps / std, f_z * eps**2 / std

    def var_not_std(f, mu, std, eps):
        f_z = f(mu + std * eps).reshape(-1, 1)
        return f_z * eps / std**2, f_z * (eps**2 - 1) / std**3

    def eps_only(f, mu, std, eps):
        f_z = f(mu + std * eps).reshape(-1, 1)
        return f_z * eps, f_z * (eps**2 - 1)

    mistakes = {
        "∂/∂σ log q = (ε² − 1)/σ: the −1 comes from the normaliser 1/σ of the density.": (
            no_minus_one
        ),
        "(z − μ)/σ² = ε/σ once z = μ + σε: you divided by σ too often.": var_not_std,
        "the score still has a 1/σ: ∂/∂μ log q = ε/σ and ∂/∂σ log q = (ε² − 1)/σ.": eps_only,
        "that is the reparameterisation estimator (it uses ∇f); the score function uses only "
        "the values f(z) times ∇ log q(z).": reparameterisation_gradients,
    }
    return check_function(
        student_fn,
        score_function_gradients,
        _score_inputs(),
        rtol=1e-6,
        atol=1e-8,
        mistakes=mistakes,
        name="score_function_gradients",
    )


# --- 05 KL ---


def _kl_inputs():
    """Fixed (mu, logvar) test inputs: a random batch, the prior itself, and wide/narrow q."""
    gen = torch.Generator().manual_seed(5)
    mu = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    zeros = torch.zeros(2, 5, dtype=torch.float64)
    extremes = torch.tensor([[-4.0, 3.0], [0.0, -6.0]], dtype=torch.float64)
    return [(mu, logvar), (zeros, zeros.clone()), (extremes, extremes.flip(-1))]


def check_gaussian_kl(student_fn) -> Verdict:
    """Check `gaussian_kl(mu, logvar) -> (B,)` = KL(N(mu, diag exp(logvar)) ‖ N(0, I))."""
    from vae_teach.kl import gaussian_kl

    mistakes = {
        "the ½ in front is missing.": lambda mu, logvar: 2 * gaussian_kl(mu, logvar),
        "sum over the latent dimensions, do not average.": lambda mu, logvar: (
            gaussian_kl(mu, logvar) / mu.shape[-1]
        ),
        "σ² = exp(logvar), not exp(½ logvar) = σ.": lambda mu, logvar: (
            0.5 * (mu**2 + (0.5 * logvar).exp() - 1 - logvar).sum(-1)
        ),
        "the −1 per dimension is missing (KL must be 0 when q is the prior).": lambda mu, logvar: (
            0.5 * (mu**2 + logvar.exp() - logvar).sum(-1)
        ),
    }
    return check_function(
        student_fn, gaussian_kl, _kl_inputs(), mistakes=mistakes, name="gaussian_kl"
    )


# --- 06 VAE ---


def _importance_weighted_inputs():
    """(K, B) float32 log terms of MNIST-like size: log p(x|z) near −150 nats."""
    generator = torch.Generator().manual_seed(6)
    inputs = []
    for k, batch in [(1, 3), (5, 4), (64, 2)]:
        log_px_z = -150 + 20 * torch.randn((k, batch), generator=generator)
        log_pz = -2.5 - 3 * torch.rand((k, batch), generator=generator)
        log_qz = 1.0 + torch.randn((k, batch), generator=generator)
        inputs.append((log_px_z, log_pz, log_qz))
    return inputs


def check_importance_weighted_bound(student_fn) -> Verdict:
    """Exercise 06: `student_fn(log_px_z, log_pz, log_qz)`, each (K, B), returns (B,)."""
    mistakes = {
        "the mean of log w_k is the ELBO estimate, not the bound: average the weights w_k "
        "themselves, i.e. log-mean-exp of log w_k": lambda a, b, c: (a + b - c).mean(0),
        "subtract log K: the bound averages the K weights, it does not add them": (
            lambda a, b, c: torch.logsumexp(a + b - c, dim=0)
        ),
        "exp(−150) underflows to 0 in float32, so log(mean(exp(log w))) gives −inf: use "
        "torch.logsumexp": lambda a, b, c: torch.log(torch.exp(a + b - c).mean(0)),
        "log w = log p(x|z) + log p(z) − log q(z|x): check the sign of log q": (
            lambda a, b, c: torch.logsumexp(a + b + c, dim=0) - float(np.log(a.shape[0]))
        ),
    }
    return check_function(
        student_fn,
        importance_weighted_bound,
        _importance_weighted_inputs(),
        mistakes=mistakes,
        name="importance_weighted_bound",
    )


# --- 07 beta-VAE ---


def _free_bits_inputs():
    """(mu, logvar, free_bits): some latents below λ nats, some above, and λ = 0."""
    generator = torch.Generator().manual_seed(7)
    inputs = []
    for batch, scale, free_bits in [(16, 1.0, 0.5), (32, 0.3, 0.25), (8, 2.0, 0.0)]:
        # latent j has a spread of about scale · j / 4: early latents near the prior
        spread = scale * torch.arange(6, dtype=torch.float32) / 4
        mu = spread * torch.randn((batch, 6), generator=generator)
        logvar = -spread * torch.rand((batch, 6), generator=generator)
        inputs.append((mu, logvar, free_bits))
    return inputs


def check_free_bits(student_fn) -> Verdict:
    """Exercise 07: `student_fn(mu, logvar, free_bits)` returns Σ_j max(λ, mean_b KL_bj)."""
    from vae_teach.disentanglement import free_bits_kl, kl_per_dimension
    from vae_teach.gaussian import kl_to_standard_normal as kl_matrix

    mistakes = {
        "the max goes after averaging over the batch: max(λ, mean_b KL_bj), not "
        "mean_b max(λ, KL_bj)": lambda m, v, lam: kl_matrix(m, v).clamp(min=lam).mean(0).sum(),
        "free bits are per latent dimension (Kingma et al. 2016): Σ_j max(λ, KL_j), not "
        "max(λ, Σ_j KL_j)": lambda m, v, lam: kl_per_dimension(m, v).sum().clamp(min=lam),
        "sum over the latent dimensions, do not average them": (
            lambda m, v, lam: kl_per_dimension(m, v).clamp(min=lam).mean()
        ),
        "max, not min: below λ a latent costs λ, above λ its own KL": (
            lambda m, v, lam: kl_per_dimension(m, v).clamp(max=lam).sum()
        ),
        "Σ_j relu(KL_j − λ) has the same gradient as Σ_j max(λ, KL_j), so it trains the same "
        "model, but its value is lower by the constant Z·λ (Z latents): the free-bits loss "
        "is reported as Σ_j max(λ, KL_j)": (
            lambda m, v, lam: (kl_per_dimension(m, v) - lam).clamp(min=0).sum(),
            "close",
        ),
        "KL_j is the batch *mean* of KL(q(z_j|x) ‖ N(0, 1)), not the batch sum": (
            lambda m, v, lam: kl_matrix(m, v).sum(0).clamp(min=lam).sum()
        ),
    }
    return check_function(
        student_fn, free_bits_kl, _free_bits_inputs(), mistakes=mistakes, name="free_bits_kl"
    )


def _total_correlation_inputs():
    """(z, mu, logvar) float64: three sets of posteriors with correlated means."""
    generator = torch.Generator().manual_seed(8)
    inputs = []
    for m, rho in [(500, 0.7), (500, 0.9), (400, 0.95)]:
        a, b, c = torch.randn((3, m), generator=generator, dtype=torch.float64)
        # μ_n: latent 2 correlated with latent 1 (ρ), latent 3 independent: (M, 3)
        mu = torch.stack([a, rho * a + (1 - rho**2) ** 0.5 * b, c], dim=1)
        logvar = torch.full_like(mu, -2.0) + 0.2 * torch.rand(mu.shape, generator=generator)
        # z_n = μ_n + σ_n ε_n
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator)
        inputs.append((z, mu, logvar))
    return inputs


def check_total_correlation(student_fn) -> Verdict:
    """Exercise 07: `student_fn(z, mu, logvar)` returns TC with the batch as data set (M = N)."""
    import math

    from vae_teach.disentanglement import total_correlation
    from vae_teach.gaussian import diagonal_log_density

    def tc_with(log_norm_joint, log_norm_marginal):
        def tc(z, mu, logvar):
            pairs = diagonal_log_density(z[:, None, :], mu[None], logvar[None])
            log_qz = torch.logsumexp(pairs.sum(2), dim=1) - log_norm_joint(len(z))
            log_qzj = (torch.logsumexp(pairs, dim=1) - log_norm_marginal(len(z))).sum(1)
            return (log_qz - log_qzj).mean().item()

        return tc

    mistakes = {
        "normalise both estimates by M: log q(z) ≈ logsumexp_m − log M, and the same − log M "
        "for every marginal q(z_j)": tc_with(lambda m: 0.0, lambda m: 0.0),
        "each of the Z marginals needs its own − log M, not only the joint": tc_with(
            math.log, lambda m: 0.0
        ),
    }
    return check_function(
        student_fn,
        total_correlation,
        _total_correlation_inputs(),
        rtol=1e-4,
        atol=1e-6,
        close_rtol=0.05,
        mistakes=mistakes,
        name="total_correlation",
    )
