"""How long loading MNIST from local files takes (target: full training split under 1 s).

    VAE_TEACH_DATA=../shared/data python benchmarks/bench_load_mnist.py [--repeats 5]

Each figure is the median over the repeats of one `load_mnist` call. "cold" clears the
in-memory cache first (read + gunzip + checks + conversion to float, what a fresh kernel
pays; the files themselves are in the OS page cache after the first run); "warm" is a
second call in the same process. Wall time and CPU time of this process are both shown:
on a busy machine the wall time grows while the CPU time stays close to the work done.
"""

import argparse
import os
import statistics
import time

import torch

from vae_teach import data


def measure(repeats: int, cold: bool, **kwargs) -> tuple[float, float, int]:
    """Median wall and CPU seconds of `load_mnist(**kwargs)`, and the number of images."""
    walls, cpus = [], []
    for _ in range(repeats):
        if cold:
            data.clear_cache()
        wall, cpu = time.perf_counter(), time.process_time()
        images, _ = data.load_mnist(download=False, **kwargs)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        n = len(images)
        del images
    return statistics.median(walls), statistics.median(cpus), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--root", default=None, help="a data root holding mnist/")
    args = parser.parse_args()
    if data.find_mnist("train", args.root) is None:
        raise SystemExit("MNIST not found:\n" + data.describe_search("train", args.root))
    cases = [
        ("train, full profile, cold", True, {"split": "train", "profile": "full"}),
        ("train, quick profile, cold", True, {"split": "train", "profile": "quick"}),
        ("test, cold", True, {"split": "test", "profile": "full"}),
        ("train, full profile, warm", False, {"split": "train", "profile": "full"}),
        ("train, quick profile, warm", False, {"split": "train", "profile": "quick"}),
    ]
    print(
        f"torch threads: {torch.get_num_threads()}, CPUs: {os.cpu_count()}, "
        f"median of {args.repeats}"
    )
    print(f"{'case':<28} {'images':>7} {'wall s':>8} {'CPU s':>8}")
    for name, cold, kwargs in cases:
        wall, cpu, n = measure(args.repeats, cold, root=args.root, **kwargs)
        print(f"{name:<28} {n:>7} {wall:>8.3f} {cpu:>8.3f}")


if __name__ == "__main__":
    main()
