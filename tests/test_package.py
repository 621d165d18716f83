"""The package as a whole: a light import, and submodules reachable by attribute."""

import subprocess
import sys


def test_import_is_light():
    """`import vae_teach` loads neither ipywidgets nor matplotlib (a widget or a plot does)."""
    code = (
        "import sys, vae_teach; "
        "heavy = [m for m in ('ipywidgets', 'matplotlib') if m in sys.modules]; "
        "print(heavy); assert not heavy"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_submodules_load_on_first_use():
    import vae_teach

    assert vae_teach.models.VAE.__name__ == "VAE"
    assert set(vae_teach.MODULES) <= set(vae_teach.__all__)
    try:
        vae_teach.no_such_module  # noqa: B018
    except AttributeError as err:
        assert "no_such_module" in str(err)
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")
