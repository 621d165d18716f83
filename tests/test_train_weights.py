"""The sprite training script: each kind of recipe trains briefly, is measured and saved."""

import importlib.util
from pathlib import Path

import pytest
import torch

from vae_teach.sprites import SPRITES32, make_sprites

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_sprite_weights.py"


def load_script():
    spec = importlib.util.spec_from_file_location("train_sprite_weights", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["betavae_b4_s0", "tcvae_b6_s1"])
def test_a_recipe_trains_measures_and_saves(name, tmp_path, monkeypatch):
    script = load_script()
    monkeypatch.setitem(script.FIT, "epochs", 1)
    data = make_sprites(256, seed=0, continuous=True, **SPRITES32)
    small = {"shape": 2, "scale": 2, "rotation": 2, "pos_x": 3, "pos_y": 3}
    grid = make_sprites(grid=True, size=32, levels=small, ranges=SPRITES32["ranges"])
    script.train_one(name, data, grid, str(tmp_path))
    payload = torch.load(tmp_path / f"{name}.pt", weights_only=True)
    meta, (kind, beta, seed) = payload["meta"], script.RECIPES[name]
    assert payload["config"]["model"] == kind and payload["config"]["beta"] == beta
    assert meta["train"]["seed"] == seed and len(meta["kl_per_dim"]) == 8
    assert 0 <= meta["mig"] <= 1 and len(meta["mig_per_factor"]) == 5
    parts = meta["tc_exact"]
    assert parts["mi"] + parts["tc"] + parts["dwkl"] == pytest.approx(parts["kl"], abs=1e-3)
    assert (tmp_path / f"{name}.sha256").is_file()


def test_recipes_cover_three_seeds_of_each_model():
    script = load_script()
    settings = {}
    for kind, beta, seed in script.RECIPES.values():
        settings.setdefault((kind, beta), set()).add(seed)
    assert all(seeds == {0, 1, 2} for seeds in settings.values())
    assert ("BetaTCVAE", 6.0) in settings and len(settings) >= 4
