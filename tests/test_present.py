"""`vae-teach present` without a browser: the notebook cell it serves builds the right widget,
bad arguments are refused by name, and the command line answers. The page itself, in Voilà and
Chromium, is tests/browser/test_present_browser.py."""

import ast

import pytest

from vae_teach import cli, present


def build(code: str):
    """Run the generated cell as a kernel would and return its last expression's value."""
    tree = ast.parse(code)
    namespace = {}
    exec(compile(ast.Module(tree.body[:-1], []), "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(tree.body[-1].value), "<cell>", "eval"), namespace)


@pytest.mark.parametrize(
    "view, model, kind, sliders",  # sliders: traversal only (the explorer always has z₁, z₂)
    [
        ("explorer", "vae2", "LatentExplorer", 2),
        ("explorer", "ae2", "LatentExplorer", 2),
        # notebook 07: β = 16 keeps two active latents (KL > 0.1 nats), the others collapse
        ("traversal", "betavae_b16", "TraversalExplorer", 2),
        ("traversal", "vae2", "TraversalExplorer", 2),
    ],
)
def test_the_served_cell_builds_the_widget(view, model, kind, sliders):
    # through the widgets' public face only: the class, and what digest() says it shows
    widget = build(present.widget_code(view, model, "presenter", digits=300))
    assert type(widget).__name__ == kind and widget.digest().endswith("size presenter")
    if kind == "TraversalExplorer":
        assert f"; {sliders} sliders;" in widget.digest()


def test_all_latents_gives_every_slider():
    widget = build(present.widget_code("traversal", "betavae_b16", "normal", all_latents=True))
    assert "; 8 sliders; size normal" in widget.digest()


@pytest.mark.parametrize(
    "args, word",
    [
        (("slides", "vae2"), "view"),
        (("explorer", "vae3"), "model"),
        (("explorer", "betavae_b4_s0"), "MNIST"),
        (("traversal", "ae2"), "autoencoder"),
        (("explorer", "vae2", "huge"), "size"),
    ],
)
def test_bad_arguments_are_refused_by_name(args, word):
    with pytest.raises(ValueError, match=word):
        present.widget_code(*args)


def test_the_command_line(capsys, monkeypatch):
    assert cli.main([]) == 2 and "vae-teach present" in capsys.readouterr().out
    assert cli.main(["--help"]) == 0
    assert cli.main(["slides"]) == 2 and "unknown command" in capsys.readouterr().err
    # the arguments are checked before Voilà starts: pretend the extra is installed (the
    # README's test command does not install it; .ci/browser.sh does, and runs it for real)
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(
        cli.importlib.util,
        "find_spec",
        lambda name: real("json") if name == "voila" else real(name),
    )
    with pytest.raises(SystemExit) as stop:
        cli.main(["present", "traversal", "--model", "ae2"])
    assert stop.value.code == 2 and "autoencoder" in capsys.readouterr().err


def test_voila_serves_local_files_only():
    command = present.voila_command(present.Path("x.ipynb"), 8123)
    assert "--Voila.ip=127.0.0.1" in command and f"--template={present.TEMPLATE}" in command
    # the lab template's CDN links are dropped by the template, line by line
    assert "'https://' not in line" in present.TEMPLATE_INDEX


def test_a_missing_extra_is_named(monkeypatch, capsys):
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(
        cli.importlib.util, "find_spec", lambda name: None if name == "voila" else real(name)
    )
    assert cli.main(["present", "explorer"]) == 2
    assert '".[present]"' in capsys.readouterr().err


def test_the_page_keeps_the_widget_front_ends():
    # Voilà is told to leave out the other JupyterLab extensions, never the widget manager or
    # anywidget's front end: without it the page cannot build a vae_teach widget
    command = present.voila_command(present.Path("x.ipynb"), 8123)
    denied = {arg.split("=", 1)[1] for arg in command if "extension_denylist=" in arg}
    assert not denied & {"@jupyter-widgets/jupyterlab-manager", "anywidget"}, denied
