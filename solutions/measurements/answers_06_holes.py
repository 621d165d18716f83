"""Measures the numbers of the worked answers: notebook 06 exercise 4: the emptiest point of the AE and VAE codes (figure 06_exercise4).

Run from the repository root, one at a time, with VAE_TEACH_DATA set and OMP_NUM_THREADS=1:
`python solutions/measurements/answers_06_holes.py`. It prints what the answers in solutions/NN_name.md quote.
"""

import matplotlib
import torch

matplotlib.use("Agg")
from vae_teach.data import load_mnist
from vae_teach.plots import show_images
from vae_teach.pretrained import load_pretrained

tx, ty = load_mnist("test")
ae, vae = load_pretrained("ae2"), load_pretrained("vae2")
rows = []
with torch.no_grad():
    for name, m in (("ae2", ae), ("vae2", vae)):
        z = m.encode(tx[:5000])
        z = z[0] if isinstance(z, tuple) else z
        lo, hi = torch.quantile(z, 0.005, 0), torch.quantile(z, 0.995, 0)
        g = torch.stack(
            torch.meshgrid(
                torch.linspace(lo[0], hi[0], 60), torch.linspace(lo[1], hi[1], 60), indexing="ij"
            ),
            -1,
        ).reshape(-1, 2)
        d = torch.cdist(g, z).min(1).values
        spread = torch.cdist(z[:500], z[500:]).min(1).values.median()
        i = int(d.argmax())
        p = g[i : i + 1]
        img = m.decode_image(p)
        # nearest-code digit label
        lab = ty[:5000][torch.cdist(p, z).argmin()].item()
        rows.append(img)
        print(
            name,
            "emptiest point in the middle 99% box:",
            p.numpy().round(2),
            "distance to nearest code",
            round(d.max().item(), 2),
            "median neighbour distance",
            round(spread.item(), 3),
            "ratio",
            round((d.max() / spread).item(), 1),
            "ink",
            round(img.sum().item(), 1),
            "max",
            round(img.max().item(), 2),
            "nearest label",
            lab,
        )
fig = show_images(torch.cat(rows), titles=["AE: emptiest point", "VAE: emptiest point"], scale=1.4)
fig.savefig("solutions/figures/06_exercise4.png", dpi=80)
