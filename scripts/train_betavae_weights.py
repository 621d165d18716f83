"""Retrain the β-VAE sweep of notebook 07 (`betavae_*`): `scripts/train_weights.py betavae`.

    python scripts/train_betavae_weights.py                 # all five β
    python scripts/train_betavae_weights.py betavae_b4 --out /tmp/weights

Kept because notebook 07 names it; the recipes live in `scripts/train_weights.py`. As
before, the models named are always retrained (--force).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_weights  # noqa: E402

if __name__ == "__main__":
    names = [n for n, r in train_weights.RECIPES.items() if r.family == "betavae"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=names, choices=names)
    parser.add_argument("--out", default=None, help="folder (default: vae_teach/weights)")
    args = parser.parse_args()
    train_weights.main(["--force", *args.names, *(["--out", args.out] if args.out else [])])
