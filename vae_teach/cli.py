"""The `vae-teach` command: `vae-teach present VIEW` (a widget on a projector, the present
extra) and `vae-teach assign COURSE` (nbgrader assignments, the instructor extra)."""

import importlib
import importlib.util
import sys

USAGE = """\
usage: vae-teach present {explorer,traversal} [--model NAME] [--size presenter|normal]
                         [--port N] [--no-browser]
       vae-teach assign COURSE [NN_name ...]

  present   one widget alone in the browser, served by Voilà (pip install -e ".[present]")
  assign    nbgrader assignments from the implement exercises (pip install -e ".[instructor]")
Each command takes --help."""


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    # each command: its module, and the extra that installs what it runs (Voilà, nbgrader)
    commands = {
        "present": ("vae_teach.present", "present", "voila"),
        "assign": ("vae_teach.assign", "instructor", "nbgrader"),
    }
    if command not in commands:
        print(f"vae-teach: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    module, extra, needs = commands[command]
    if importlib.util.find_spec(needs) is None:
        print(
            f'vae-teach {command} needs {needs}: pip install -e ".[{extra}]" '
            f'(or pip install "vae-teach[{extra}]")',
            file=sys.stderr,
        )
        return 2
    return importlib.import_module(module).main(rest)


if __name__ == "__main__":
    sys.exit(main())
