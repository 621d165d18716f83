"""Measures the numbers of the worked answers: notebook 03 exercise 5: where the KL(q || p) fit stops choosing one mode.

Run from the repository root, one at a time, with VAE_TEACH_DATA set and OMP_NUM_THREADS=1:
`python solutions/measurements/answers_03_mode_scan.py`. It prints what the answers in solutions/NN_name.md quote.
"""

import numpy as np
from scipy import optimize

t = np.linspace(-8, 8, 4001)
dt = t[1] - t[0]


def log_normal(t, mean, std):
    return -0.5 * ((t - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi))


for mode in np.arange(1.0, 2.01, 0.1):
    log_p = np.logaddexp(log_normal(t, -mode, 0.6), log_normal(t, mode, 0.6)) + np.log(0.5)
    rk = lambda p: (
        np.sum(
            np.exp(log_normal(t, p[0], np.exp(p[1]))) * (log_normal(t, p[0], np.exp(p[1])) - log_p)
        )
        * dt
    )
    row = []
    for start in (0.5, 0.0, 1.5, -1.0):
        f_ = optimize.minimize(
            rk,
            np.array([start, 0.0]),
            method="Nelder-Mead",
            options={"xatol": 1e-6, "fatol": 1e-10},
        )
        row.append((start, round(f_.x[0], 2) + 0.0, round(np.exp(f_.x[1]), 2), round(f_.fun, 3)))
    print(round(mode, 2), row)
