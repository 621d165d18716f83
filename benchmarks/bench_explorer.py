"""Kernel-side cost of the latent explorer per slider step, and what it sends, for both sizes.

    OMP_NUM_THREADS=2 python benchmarks/bench_explorer.py [--steps 1000]

Notebook 06's explorer decodes in the browser: a slider step costs the kernel only what it does
when the browser's `values` message arrives (at most every 100 ms while a slider moves): the
widget's set_state and the explorer's update(), no decoding, no image. Measured here by
handing the view the state a browser sends (`view.set_state({"values": ...})`, the comm's own
entry point, without the websocket and the JSON parsing). For comparison: the same step when
the kernel decodes (the fallback for a decoder the browser cannot run: decode + grey bytes),
and a jump to a test digit (typed in the number box: the encoder ran when the explorer was
built; a jump sends z, the ellipse and the digit). Wall time counts time lost to other
processes on a busy machine; CPU time does not, so both are printed.
"""

import argparse
import json
import time

import numpy as np
import torch

from vae_teach.pretrained import load_pretrained
from vae_teach.widgets import LatentExplorer


def test_digits():
    """MNIST test digits if they can be found without downloading, else None."""
    try:
        from vae_teach.data import load_mnist

        return load_mnist("test", download=False)
    except Exception:  # no data here: the map then shows random codes from the prior
        return None


def timed(step, inputs):
    """Wall and process-CPU milliseconds of step(x) for each x in `inputs` (after a warm-up)."""
    for x in inputs[:50]:
        step(x)
    wall, cpu = [], []
    for x in inputs:
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        step(x)
        cpu.append((time.process_time_ns() - c0) / 1e6)
        wall.append((time.perf_counter_ns() - w0) / 1e6)
    return np.array(wall), np.array(cpu)


def browser_step(explorer):
    """One slider step as the browser sends it: the values dict, z₁ and z₂ moved."""

    def step(z):
        values = {**explorer.view.values, "z1": float(z[0]), "z2": float(z[1])}
        explorer.view.set_state({"values": values})

    return step


def line(name, ms):
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"  {name:<22} p50 {p50:6.3f}  p95 {p95:6.3f}  p99 {p99:6.3f}  max {ms.max():7.3f} ms"


def report(size, model, codes, labels, images, steps) -> None:
    explorer = LatentExplorer(model, codes=codes, labels=labels, test_images=images, size=size)
    view = explorer.view
    t = np.linspace(0, 8 * np.pi, steps)
    # a smooth path inside ±2.5, on the sliders' 0.05 grid as a browser sends it
    path = np.round(np.stack([2.5 * np.sin(t), 2.5 * np.cos(1.3 * t)], axis=1) / 0.05) * 0.05
    message = json.dumps({"values": {**view.values, "z1": 1.25, "z2": -0.5}})
    print(
        f"{size}: digit {explorer.sizes['scale'] * explorer.image.shape[0]} px, "
        f"map {explorer.map.rgb.shape[0]} px; sent once: decoder weights "
        f"{len(view.weights) / 1024:.0f} KB, map {len(view.map_rgb) / 1024:.0f} KB (RGB); "
        f"per step from the browser: {len(message)} bytes of JSON"
    )
    print(line("step (browser decodes)", timed(browser_step(explorer), path)[1]))
    explorer.render_mode = "kernel"  # what a model without an MLP decoder costs
    wall, cpu = timed(browser_step(explorer), path)
    print(line("step (kernel decodes)", cpu) + f", sends {len(view.pixels)} bytes")
    explorer.render_mode = "browser"
    if images is not None:
        indices = np.random.default_rng(0).integers(0, len(explorer.test_images), steps)
        jump = lambda i: view.set_state({"values": {**view.values, "index": int(i)}})  # noqa: E731
        wall, cpu = timed(jump, indices)
        sent = len(json.dumps(view.data)) + len(view.thumb)
        print(line("jump (number typed)", cpu) + f", sends about {sent} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_pretrained("vae2")
    data = test_digits()
    if data is None:
        codes, labels, images = np.random.default_rng(0).normal(size=(10000, 2)), None, None
    else:
        codes, labels, images = None, data[1][:5000], data[0][:5000]
    print(
        f"torch threads {torch.get_num_threads()}, {args.steps} steps per size, CPU ms, "
        f"map from {'5000 MNIST test digits' if data is not None else 'random codes'}"
    )
    for size in ("normal", "presenter"):
        report(size, model, codes, labels, images, args.steps)


if __name__ == "__main__":
    main()
