"""The training-weights script: each kind of recipe trains briefly, is measured and saved."""

import importlib.util
from pathlib import Path

import pytest
import torch

from vae_teach.sprites import SPRITES32, make_sprites

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name="train_weights"):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_grid():
    small = {"shape": 2, "scale": 2, "rotation": 2, "pos_x": 3, "pos_y": 3}
    return make_sprites(grid=True, size=32, levels=small, ranges=SPRITES32["ranges"])


@pytest.mark.parametrize("name", ["betavae_b4_s0", "tcvae_b6_s1"])
def test_a_sprite_recipe_trains_measures_and_saves(name, tmp_path, monkeypatch):
    script = load_script()
    monkeypatch.setitem(script.SPRITE_FIT, "epochs", 1)
    data = make_sprites(256, seed=0, continuous=True, **SPRITES32)
    script.train_one(name, {"train": data.images, "grid": small_grid()}, str(tmp_path))
    payload = torch.load(tmp_path / f"{name}.pt", weights_only=True)
    meta, recipe = payload["meta"], script.RECIPES[name]
    assert payload["config"]["model"] == recipe.model and payload["config"]["beta"] == recipe.beta
    latent_dim = recipe.arch["latent_dim"]
    assert meta["train"]["seed"] == recipe.seed and len(meta["kl_per_dim"]) == latent_dim
    assert 0 <= meta["mig"] <= 1 and len(meta["mig_per_factor"]) == 5
    parts = meta["tc_exact"]
    assert parts["mi"] + parts["tc"] + parts["dwkl"] == pytest.approx(parts["kl"], abs=1e-3)
    assert (tmp_path / f"{name}.sha256").is_file()
    assert script.holds_recipe(meta["train"], name)


def test_sprite_recipes_cover_three_seeds_of_each_model():
    script = load_script()
    settings = {}
    for recipe in script.RECIPES.values():
        if recipe.family == "sprites":
            settings.setdefault((recipe.model, recipe.beta), set()).add(recipe.seed)
    assert all(seeds == {0, 1, 2} for seeds in settings.values())
    assert ("BetaTCVAE", 6.0) in settings and len(settings) >= 4


def test_shipped_weights_hold_their_recipes():
    """Every shipped MNIST and β-VAE file counts as current: the merged script would not
    retrain any of them (the recipes are the ones they were trained with)."""
    from vae_teach.pretrained import weights_folder

    script = load_script()
    folder = Path(str(weights_folder()))
    shipped = [n for n in script.RECIPES if (folder / f"{n}.pt").is_file()]
    assert {"vae2", "ae2", "vae20", "dae2", "betavae_b16", "betavae_b4_s0"} <= set(shipped)
    for name in shipped:
        assert script.holds_recipe(script.stored_meta(name, folder)["train"], name), name


def test_names_and_families_on_the_command_line(capsys):
    script = load_script()
    parser = script.argparse.ArgumentParser()
    assert script.chosen_names(parser, ["betavae"]) == ["betavae_b16"]
    assert script.chosen_names(parser, ["vae2", "mnist"]) == ["vae2", "ae2", "vae20", "dae2"]
    assert len(script.chosen_names(parser, [])) == len(script.RECIPES)
    with pytest.raises(SystemExit):
        script.chosen_names(parser, ["gan"])
