"""Exercise variants as data: each exercise that changes a value or a kind, as an edit.

One row per variant: (notebook, cell id, old text, new text, what the exercise asks). The
old text must occur exactly once in that cell; tests/test_exercise_variants.py applies the
edit to a copy of the notebook and executes the copy top to bottom: the rest of the notebook
must still run (its asserts included). Cell ids are in each cell's metadata (`"id"` in the
.ipynb; `python -c "import json; print([c['id'] for c in json.load(open(NB))['cells']])"`).
"""

VARIANTS = [
    # --- 01 autoencoder
    ("01_autoencoder.ipynb", "cell-10", "seed=0", "seed=1", "ex. 2: retrain the 2-D model, seed=1"),
    (
        "01_autoencoder.ipynb",
        "cell-26",
        '    ("uniform in box", z_box),\n',
        '    ("uniform in box", z_box),\n'
        '    ("N(m, s²)", z_train.mean(0)'
        " + z_train.std(0) * torch.randn(1000, 2, generator=generator)),\n",
        "ex. 3: a row for z ~ N(m, diag s²) with the codes' mean and std",
    ),
    ("01_autoencoder.ipynb", "cell-22", "bins = 30", "bins = 10", "ex. 4: holes with 10 bins"),
    ("01_autoencoder.ipynb", "cell-22", "bins = 30", "bins = 60", "ex. 4: holes with 60 bins"),
    ("01_autoencoder.ipynb", "cell-10", "epochs=8", "epochs=20", "ex. 5: train for 20 epochs"),
    # --- 02 denoising autoencoder
    (
        "02_denoising_autoencoder.ipynb",
        "cell-08",
        '"gaussian", 0.5, 8, 2',
        '"masking", 0.5, 8, 2',
        "ex. 3: train the DAE on masking 0.5",
    ),
    (
        "02_denoising_autoencoder.ipynb",
        "cell-08",
        '"gaussian", 0.5, 8, 2',
        '"gaussian", 0.2, 8, 2',
        "ex. 4: train the DAE with noise level 0.2",
    ),
    (
        "02_denoising_autoencoder.ipynb",
        "cell-08",
        '"gaussian", 0.5, 8, 2',
        '"gaussian", 0.8, 8, 2',
        "ex. 4: train the DAE with noise level 0.8",
    ),
    (
        "02_denoising_autoencoder.ipynb",
        "cell-08",
        '"gaussian", 0.5, 8, 2',
        '"gaussian", 0.5, 8, 16',
        "ex. 5: a 16-D code for both models",
    ),
    # --- 03 ELBO
    (
        "03_elbo.ipynb",
        "bc27f24b",
        "sigma=0.8)",
        "sigma=0.2)",
        "ex. 3: a more precise decoder, sigma=0.2",
    ),
    (
        "03_elbo.ipynb",
        "71ed30fd",
        "mode, width = 2.0, 0.6",
        "mode, width = 1.0, 0.6",
        "ex. 5: the two modes of p at ±1",
    ),
    (
        "03_elbo.ipynb",
        "71ed30fd",
        "mode, width = 2.0, 0.6",
        "mode, width = 0.5, 0.6",
        "ex. 5: the two modes of p at ±0.5",
    ),
    # --- 06 VAE
    ("06_vae.ipynb", "7a647c9f", "steps = 300", "steps = 30", "ex. 3: 30 Adam steps per digit"),
    ("06_vae.ipynb", "7a647c9f", "steps = 300", "steps = 1000", "ex. 3: 1000 Adam steps per digit"),
    ("06_vae.ipynb", "c09", "TRAIN = False", "TRAIN = True", "ex. 5: train the 2-D VAE here"),
    # --- 07 β-VAE
    (
        "07_beta_vae.ipynb",
        "p2c25",
        "explorer.switch(label[SHOW])",
        'explorer.switch("β=8 s1")',
        "ex. 1: the traversal widget switched to β = 8, seed 1",
    ),
    # --- 08 beyond
    ("08_beyond.ipynb", "c17", "seed=0)", "seed=1)", "ex. 1: retrain the document VAE, seed=1"),
    ("08_beyond.ipynb", "c37", "sigma=0.2)", "sigma=0.5)", "ex. 3: a noisier decoder, sigma=0.5"),
    # --- 09 conditional VAE
    ("09_conditional_vae.ipynb", "c09", "epochs=8", "epochs=16", "ex. 3: train for 16 epochs"),
]
