"""Checkers for the "implement" exercises: right, close or wrong, and why.

`check_<name>(student_fn) -> Verdict` runs the student's function on fixed inputs, runs the
package's own function (the reference) on the same inputs, and compares. It never raises:
an error in the student's code becomes a "wrong" verdict that shows the error.

- `_engine`: the shared machinery (`Verdict`, `run_student`, `compare`, `check_function`)
  and `Mistake(hint, function, verdict)`, one row per known mistake;
- `nb01` … `nb09`: each notebook's checkers, its test inputs and its known mistakes.

`TIME_LIMIT` (seconds per test input) may be changed here: `checkers.TIME_LIMIT = 30`.
"""

from vae_teach.checkers._engine import (
    PRINT_CHARS,
    PRINT_LINES,
    STATUSES,
    Mistake,
    Verdict,
    changed_inputs,
    check_function,
    compare,
    in_place_note,
    matching_mistake,
    run_student,
)
from vae_teach.checkers.nb01 import check_reconstruction_loss
from vae_teach.checkers.nb02 import check_salt_and_pepper
from vae_teach.checkers.nb03 import check_linear_gaussian_elbo
from vae_teach.checkers.nb04 import check_score_function_gradients
from vae_teach.checkers.nb05 import check_gaussian_kl
from vae_teach.checkers.nb06 import check_importance_weighted_bound
from vae_teach.checkers.nb07 import check_free_bits, check_total_correlation
from vae_teach.checkers.nb08 import check_bag_of_words_log_likelihood
from vae_teach.checkers.nb09 import check_condition
from vae_teach.elbo import importance_weighted_bound  # the reference of notebook 06's exercise

# How long a student's function may run on one test input before it counts as stuck.
TIME_LIMIT = 10.0  # seconds

__all__ = [
    "PRINT_CHARS",
    "PRINT_LINES",
    "STATUSES",
    "TIME_LIMIT",
    "Mistake",
    "Verdict",
    "changed_inputs",
    "check_bag_of_words_log_likelihood",
    "check_condition",
    "check_free_bits",
    "check_function",
    "check_gaussian_kl",
    "check_importance_weighted_bound",
    "check_linear_gaussian_elbo",
    "check_reconstruction_loss",
    "check_salt_and_pepper",
    "check_score_function_gradients",
    "check_total_correlation",
    "compare",
    "importance_weighted_bound",
    "in_place_note",
    "matching_mistake",
    "run_student",
]
