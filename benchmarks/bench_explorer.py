"""Frame time of the latent explorer: decode + render one frame, for both sizes.

    OMP_NUM_THREADS=2 python benchmarks/bench_explorer.py [--frames 1000]

A frame is what one slider movement costs in the kernel: decode z with the shipped 2-D VAE,
encode the digit PNG, stamp the marker on the latent map, encode the map PNG, and hand both
to the Image widgets. Target: p95 ≤ 5 ms on 2 cores. Wall time counts time lost to other
processes on a busy machine; CPU time does not, so both are printed.
"""

import argparse
import time

import numpy as np
import torch

from vae_teach.explorer import LatentExplorer
from vae_teach.pretrained import load_pretrained


def test_digits():
    """MNIST test digits if they can be found without downloading, else None."""
    try:
        from vae_teach.data import load_mnist

        return load_mnist("test", download=False)
    except Exception:  # no data here: the map then shows random codes from the prior
        return None


def frame_times(explorer, frames):
    """Wall and process-CPU milliseconds of `frames` slider moves along a smooth path."""
    t = np.linspace(0, 8 * np.pi, frames)
    path = np.stack([2.5 * np.sin(t), 2.5 * np.cos(1.3 * t)], axis=1)
    for z in path[:50]:  # warm-up
        explorer.set_z(*z)
    wall, cpu = [], []
    for z in path:
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        explorer.set_z(*z)
        cpu.append((time.process_time_ns() - c0) / 1e6)
        wall.append((time.perf_counter_ns() - w0) / 1e6)
    return np.array(wall), np.array(cpu)


def line(name, ms):
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"  {name:<10} p50 {p50:5.2f}  p95 {p95:5.2f}  p99 {p99:5.2f}  max {ms.max():6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_pretrained("vae2")
    data = test_digits()
    if data is None:
        codes, labels, images = np.random.default_rng(0).normal(size=(10000, 2)), None, None
    else:
        codes, (images, labels) = None, data
    print(
        f"torch threads {torch.get_num_threads()}, {args.frames} frames per size, "
        f"map from {'MNIST test digits' if data is not None else 'random codes'}"
    )
    for size in ("normal", "presenter"):
        explorer = LatentExplorer(model, codes=codes, labels=labels, test_images=images, size=size)
        wall, cpu = frame_times(explorer, args.frames)
        digit_px = explorer.layout["scale"] * explorer.image.shape[0]
        map_px = explorer.map.frame.shape[0]
        print(
            f"{size}: digit {digit_px} px, map {map_px} px, "
            f"PNGs {len(explorer.png) / 1024:.1f} + {len(explorer.map_view.value) / 1024:.1f} KB"
        )
        print(line("wall", wall))
        print(line("CPU", cpu))
        verdict = "meets" if np.percentile(cpu, 95) <= 5 else "misses"
        print(f"  CPU-time p95 {verdict} the 5 ms target")


if __name__ == "__main__":
    main()
