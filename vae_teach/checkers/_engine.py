"""The engine every checker runs on: call the student's function safely, compare its output
with the reference, and name a known mistake when the output matches one.

A checker runs the student's function on fixed inputs, runs the package's reference on the
same inputs, and compares. It never raises: an error in the student's code becomes a "wrong"
verdict that shows the error. Known mistakes are data: `Mistake(hint, function, verdict)`
rows, tried in order against the student's output.
"""

import contextlib
import copy
import html
import inspect
import io
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

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


# How long a student's function may run on one test input is `vae_teach.checkers.TIME_LIMIT`,
# read at each call (so that a notebook or a test may change it there).
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
    call = _call_with_alarm if use_signal else _call_in_thread
    return call(fn, args, kwargs, time_limit)


def _call_with_alarm(fn, args, kwargs, time_limit):
    """fn(*args, **kwargs) interrupted by SIGALRM after `time_limit` seconds (main thread)."""

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


def _call_in_thread(fn, args, kwargs, time_limit):
    """fn(*args, **kwargs) in a daemon thread, abandoned after `time_limit` seconds."""
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
    if time_limit is None:
        from vae_teach import checkers  # the package's TIME_LIMIT, which a user may change

        time_limit = checkers.TIME_LIMIT
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
        return _compare_sequences(student_output, reference_output, rtol, atol, close_rtol, name)
    student, unreadable = _as_numbers(student_output, name)
    if unreadable is not None:
        return unreadable
    reference = _to_array(reference_output)
    if reference is None:
        raise TypeError(f"cannot compare outputs of type {type(reference_output).__name__}")
    if student is None:
        return Verdict(
            "wrong", f"{name} should be a tensor or number, got {type(student_output).__name__}"
        )
    if student.shape != reference.shape:
        return _shape_verdict(student, reference, name)
    if not np.isfinite(student).all() and np.isfinite(reference).all():
        return Verdict("wrong", f"{name} contains NaN or inf, the reference does not")
    return _compare_values(student, reference, rtol, atol, close_rtol, name)


def _compare_sequences(student_output, reference_output, rtol, atol, close_rtol, name):
    """`compare` for a tuple or list of outputs: the first wrong, else the first close."""
    if not isinstance(student_output, (tuple, list)):
        kind = type(student_output).__name__
        return Verdict("wrong", f"{name} should be {len(reference_output)} values, got one {kind}")
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


def _as_numbers(student_output, name):
    """(float64 array or None, None), or (None, a wrong Verdict) if it holds no real numbers."""
    if isinstance(student_output, torch.Tensor) and student_output.is_meta:
        return None, Verdict(
            "wrong", f"{name} is a tensor on the 'meta' device, which holds no values"
        )
    if _is_complex(student_output):
        return None, Verdict(
            "wrong",
            f"{name} is complex; expected real numbers (a square root or log of a negative "
            "number somewhere?)",
        )
    try:
        return _to_array(student_output), None
    except (RuntimeError, TypeError, ValueError) as error:
        return None, Verdict("wrong", f"{name} cannot be read as numbers: {error}")


def _shape_verdict(student, reference, name) -> Verdict:
    """The wrong verdict for an output of the wrong shape, with the likely cause."""
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


def _compare_values(student, reference, rtol, atol, close_rtol, name) -> Verdict:
    """Right, close or wrong for two finite-compatible float64 arrays of one shape."""
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


class Mistake(NamedTuple):
    """A known mistake: a hint for the student, a function computing the mistaken output from
    the same inputs, and the verdict it earns (None: the comparison's own verdict)."""

    hint: str
    function: Callable
    verdict: str | None = None


def matching_mistake(student_output, mistakes, call, rtol=1e-5, atol=1e-6) -> Mistake | None:
    """The first of `mistakes` whose output, `call(mistake.function)`, the student's matches."""
    for mistake in mistakes:
        try:
            mistaken = call(mistake.function)
            matches = compare(student_output, mistaken, rtol, atol).status == "right"
        except Exception:  # a mistake that does not apply to this input
            matches = False
        if matches:
            return mistake
    return None


def check_function(
    student_fn,
    reference_fn,
    inputs,
    rtol=1e-5,
    atol=1e-6,
    close_rtol=1e-2,
    mistakes=(),
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
        mistakes: `Mistake(hint, wrong_fn, verdict)` rows, called like the reference: if
            the student's output matches wrong_fn's, the hint is added to the message, and
            the verdict becomes `verdict` when one is given (e.g. "close" for a slip that
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
        tolerances = (rtol, atol, close_rtol)
        checked = _check_one_input(
            student, reference_fn, args, used, names, mistakes, name, tolerances, seed
        )
        if checked is not None:
            return Verdict(checked.status, where + checked.message)
    plural = "s" if len(inputs) != 1 else ""
    return Verdict("right", f"{name} matches the reference on {len(inputs)} test input{plural}")


def _call(fn, args, seed):
    """fn on fresh copies of args (a tuple or a dict), torch seeded first when seed is given."""
    # fresh copies, so a function that edits its inputs in place cannot affect the other
    args = copy.deepcopy(args)
    if seed is not None:
        torch.manual_seed(seed)
    return fn(**args) if isinstance(args, dict) else fn(*args)


def _check_one_input(student, reference_fn, args, used, names, mistakes, name, tolerances, seed):
    """None when the student's output on `args` is right and no input was changed, else the
    verdict for this input (its message without the "test input i of n" prefix)."""
    rtol, atol, close_rtol = tolerances
    reference = _call(reference_fn, args, seed)
    verdict = compare(student, reference, rtol, atol, close_rtol, f"the output of {name}")
    changed = changed_inputs(args, used, names)
    if verdict.status == "right":
        if not changed:
            return None
        return Verdict("close", f"the output is right, but {in_place_note(changed)}")
    message, status = verdict.message, verdict.status
    mistake = matching_mistake(student, mistakes, lambda fn: _call(fn, args, seed), rtol, atol)
    if mistake is not None:
        message += f" Hint: {mistake.hint}"
        status = mistake.verdict or status
    if changed:
        message += " Also: " + in_place_note(changed)
    return Verdict(status, message)
