"""After a restart: a section that builds on earlier ones says what to run first.

A notebook section's first code cell names what it uses from earlier sections:

    requires("model", "z_train", run="sections 1 and 2")

If all the names are defined, nothing happens. If not (the kernel was restarted and only the
setup cell was run), the cell stops with one line, e.g.

    RunFirst: this section uses model, z_train from sections 1 and 2: run sections 1 and 2
    first (or Run ▸ Run All Above)

instead of a NameError deep inside the section. tests/test_restart_sections.py runs the
setup cell plus each numbered section alone and holds every notebook to this.
"""

import sys


class RunFirst(RuntimeError):
    """A section was run before the sections it builds on."""

    def _render_traceback_(self):
        # IPython shows this instead of a traceback: the message is the whole story.
        return [f"RunFirst: {self}"]


def requires(*names: str, run: str) -> None:
    """Stop with a clear message unless every name is defined in the notebook's namespace.

    Args:
        names: the variables this section uses from earlier sections.
        run: what to run first, in words, e.g. "section 1" or "sections 1 and 2".
    """
    if not names or not all(isinstance(name, str) and name.isidentifier() for name in names):
        raise ValueError(f"names must be one or more variable names, got {names!r}")
    if not isinstance(run, str) or not run.strip():
        raise ValueError(f"run must say what to run first, e.g. 'section 1', got {run!r}")
    # the caller's globals: in a notebook, the kernel's user namespace
    namespace = sys._getframe(1).f_globals
    missing = [name for name in names if name not in namespace]
    if missing:
        raise RunFirst(
            f"this section uses {', '.join(missing)} from {run}: "
            f"run {run} first (or Run ▸ Run All Above)"
        )
