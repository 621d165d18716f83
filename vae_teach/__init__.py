"""vae_teach: the helper package behind the vae-teach notebooks.

Each module holds one concept, in the form the notebooks first teach and then import:

- `data`: MNIST loading, the quick/full profiles, binarisation
- `seeding`: `set_seed`
"""

from vae_teach.seeding import set_seed

__version__ = "0.1.0"

__all__ = ["set_seed", "__version__"]
