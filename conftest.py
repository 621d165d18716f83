"""Root pytest configuration: make every test and every notebook kernel deterministic and quiet.

Environment variables set here at import time are inherited by the kernels that nbval
starts, so they reach the notebooks too.
"""

import os

# Fixed thread counts: float sums depend on how work is split between threads.
os.environ["OMP_NUM_THREADS"] = "2"
os.environ["MKL_NUM_THREADS"] = "2"
# tqdm and tqdm.auto print nothing: progress bars would leave residue in outputs.
os.environ["TQDM_DISABLE"] = "1"
# The test command always uses the quick data profile (see README, "Profiles").
os.environ["VAE_TEACH_PROFILE"] = "quick"
