"""The notebooks' interactive widgets, on anywidget: one module per notebook's widget, one base.

    base.py             controls, state, render, layout: what every widget shares
    denoising.py        02  DenoisingExplorer: clean, corrupted, AE and DAE (kernel-rendered)
    elbo_lab.py         03  ELBOLab: q over the exact posterior, ELBO + gap = log p(x)
    estimators.py       04  EstimatorHistograms: score-function vs reparameterisation gradients
    kl.py               05  KLExplorer: q = N(μ, σ²) against N(0, 1), KL in closed form
    latent_explorer.py  06  LatentExplorer: (z₁, z₂) sliders, decoded digit, latent map;
                            encode_codes
    traversal.py        07  TraversalExplorer: a slider per latent over an encoded image;
                            traversal_grid
    conditional.py      09  ConditionalExplorer: pick the digit, move the style

Front-end code is plain ES modules in js/, shipped inside the package (nothing is fetched at
run time). See base.py for the shape every widget has.
"""

from vae_teach.widgets.base import SIZES, describe_image, tile_images
from vae_teach.widgets.conditional import ConditionalExplorer
from vae_teach.widgets.denoising import DenoisingExplorer
from vae_teach.widgets.elbo_lab import ELBOLab
from vae_teach.widgets.estimators import EstimatorHistograms
from vae_teach.widgets.kl import KLExplorer
from vae_teach.widgets.latent_explorer import LatentExplorer, encode_codes
from vae_teach.widgets.traversal import TraversalExplorer, traversal_grid

__all__ = [
    "SIZES",
    "ConditionalExplorer",
    "DenoisingExplorer",
    "ELBOLab",
    "EstimatorHistograms",
    "KLExplorer",
    "LatentExplorer",
    "TraversalExplorer",
    "describe_image",
    "encode_codes",
    "tile_images",
    "traversal_grid",
]
