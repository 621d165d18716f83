"""A notebook widget in a real browser over a slow network: key-press latency, images per
second while dragging, websocket bytes per slider step.

    .venv/bin/python benchmarks/bench_widgets_browser.py \\
        [--notebook notebooks/06_vae.ipynb] [--widget latent-explorer] [--json out.json]
        [--package-root DIR]     # e.g. an older commit: git archive REV | tar -x -C DIR

VAE_TEACH_DATA as for the notebooks. JupyterLab 4 on 127.0.0.1, a delay proxy
(benchmarks/delay_proxy.py) between headless Chromium and the server, so HTTP and the kernel's
websocket both pay the round trip. The notebook runs (Run All) at RTT 0; then, for each
network setting (RTT 0, 50 and 150 ms, the last one capped at 10 Mbit/s):

- key press -> new picture: focus the widget's first slider, press ArrowRight (then
  ArrowLeft, in blocks, so it stays in range); t0 = the keydown (a capture listener on
  document), t1 = the first animation frame after the picture changed: the widget root's
  `data-frame` (the anywidget contract), or, for the old ipywidgets explorer, the `src` of its
  big <img> once decoded. p50 / p95 over --presses presses, each after the last one's traffic
  has gone quiet;
- images per second while the mouse drags that slider at 60 Hz for --drag-s seconds
  (page.mouse.move in real time, a sine around the start; a tick the browser is too busy
  for is skipped, and the moves actually made per second are in the JSON): picture changes
  per second;
- the same drag made inside the page (a range input only): every 1/60 s the input takes the
  next value and fires `input`, as a dragging hand makes the browser do; pictures per second;
- bytes over the kernel websocket per slider step, sent and received (Playwright's
  framesent / framereceived payloads, counted only while measuring), for the key presses and
  averaged over the drag (divided by the number of slider values the drag went through).

Prints a Markdown table and, with --json, writes the figures there. A benchmark, not a test:
it asserts nothing about the numbers. One run of notebook 06 takes about 2 minutes (Run All
included); 07 (--widget traversal) about 5. VAE_TEACH_BROWSER_SERVER=lab3 measures under
JupyterLab 3 (in .venv-browser7, .ci/browser7.sh).
"""

import argparse
import contextlib
import json
import math
import platform
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "browser")]

from _jupyter import (  # noqa: E402
    ROOT,
    jupyter_server,
    launch_chromium,
    notebook_url,
    record_console,
    run_all_cells,
)
from delay_proxy import DelayProxy  # noqa: E402

# (round trip in ms, bandwidth cap in Mbit/s or None)
NETWORKS = [(0, None), (50, None), (150, 10)]
KEY_BLOCK = 10  # presses in one direction before turning round
QUIET_S = 0.3  # no websocket frame for this long (plus one RTT): a step's traffic is over
STEP_TIMEOUT_S = 3.0
GIVE_UP_AFTER = 3  # presses in a row with no new picture: the round stops there

# The widget: a root by the contract, or the old explorer's box (the nearest ancestor of the
# first ipywidgets slider that holds an <img>). Returns what the rest needs to know.
FIND_JS = """(name) => {
  const root = document.querySelector(`.vae-widget[data-widget="${name}"]`);
  if (root) {
    const slider = root.querySelector('input[type=range]');
    return {mode: 'frame', render: root.dataset.render || '', found: !!slider};
  }
  const slider = document.querySelector('.jp-OutputArea .widget-slider');
  let box = slider;
  while (box && !box.querySelector('img')) box = box.parentElement;
  return {mode: 'img', render: 'kernel (ipywidgets Image)', found: !!box};
}"""

# Listeners that timestamp key presses, picture changes (and their first painted frame) and
# slider value changes into window.__bench. Returns the slider's handle for focus and drag.
INSTRUMENT_JS = """(name) => {
  const b = window.__bench = {keys: [], pictures: [], values: []};
  document.addEventListener('keydown', () => b.keys.push(performance.now()), true);
  const changed = () => {
    const p = {t: performance.now(), painted: null};
    b.pictures.push(p);
    return p;
  };
  const paint = (p) => requestAnimationFrame(() => { p.painted = performance.now(); });
  let root = document.querySelector(`.vae-widget[data-widget="${name}"]`);
  if (root) {
    const slider = root.querySelector('input[type=range]');
    new MutationObserver(records => records.forEach(() => paint(changed())))
      .observe(root, {attributes: true, attributeFilter: ['data-frame']});
    slider.addEventListener('input', () => b.values.push(performance.now()));
    return slider;
  }
  const box = document.querySelector('.jp-OutputArea .widget-slider');
  root = box;
  while (root && !root.querySelector('img')) root = root.parentElement;
  const img = root.querySelector('img');
  new MutationObserver(() => {
    const p = changed();
    img.decode().then(() => paint(p), () => paint(p));
  }).observe(img, {attributes: true, attributeFilter: ['src']});
  new MutationObserver(() => b.values.push(performance.now()))
    .observe(box.querySelector('.widget-readout'),
             {characterData: true, childList: true, subtree: true});
  return box.querySelector('.noUi-handle, .ui-slider-handle');
}"""

# Milliseconds from the last keydown to the first painted frame of a picture changed after it.
LATENCY_JS = """() => {
  const b = window.__bench, t0 = b.keys[b.keys.length - 1];
  const p = b.pictures.find(p => p.t >= t0 && p.painted !== null);
  return p ? p.painted - t0 : null;
}"""


class Traffic:
    """Payload bytes of the kernel websocket(s), sent and received, while `active`."""

    def __init__(self):
        self.active, self.sent, self.received, self.last = False, 0, 0, time.monotonic()

    def attach(self, page) -> None:
        page.on("websocket", self._websocket)

    def _websocket(self, ws) -> None:
        if "/api/kernels/" in ws.url:
            ws.on("framesent", lambda payload: self._count(payload, "sent"))
            ws.on("framereceived", lambda payload: self._count(payload, "received"))

    def _count(self, payload, direction: str) -> None:
        self.last = time.monotonic()
        if self.active:
            size = len(payload.encode() if isinstance(payload, str) else payload)
            setattr(self, direction, getattr(self, direction) + size)

    def reset(self) -> None:
        self.sent = self.received = 0

    def wait_quiet(self, page, rtt_ms: float, limit_s: float = 15.0) -> None:
        """Pump Playwright's events until no frame came for QUIET_S + one RTT."""
        quiet, deadline = QUIET_S + rtt_ms / 1000, time.monotonic() + limit_s
        while time.monotonic() - self.last < quiet and time.monotonic() < deadline:
            page.wait_for_timeout(50)


def percentile(values, q: float):
    """The q-th percentile (0-100) of `values`, linear between ranks; None when empty."""
    if not values:
        return None
    values = sorted(values)
    rank = (len(values) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return values[low] + (values[high] - values[low]) * (rank - low)


def key_presses(page, handle, traffic, presses: int, rtt_ms: float) -> dict:
    """Key press -> painted picture, `presses` times; latencies and bytes per press."""
    handle.focus()
    traffic.wait_quiet(page, rtt_ms)
    traffic.reset()
    traffic.active, latencies, missed = True, [], 0
    for i in range(presses):
        page.keyboard.press("ArrowRight" if (i // KEY_BLOCK) % 2 == 0 else "ArrowLeft")
        try:
            page.wait_for_function(f"({LATENCY_JS})() !== null", timeout=STEP_TIMEOUT_S * 1000)
            latencies.append(page.evaluate(LATENCY_JS))
        except Exception:  # Playwright's TimeoutError: no new picture for this press
            missed += 1
            if missed == i + 1 == GIVE_UP_AFTER:
                break
        traffic.wait_quiet(page, rtt_ms)
    traffic.active = False
    return {
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "presses": presses,
        "missed": missed,
        "bytes_sent_per_step": traffic.sent / presses,
        "bytes_received_per_step": traffic.received / presses,
    }


def drag_path(handle):
    """Where the drag starts (the handle's centre) and its amplitude in pixels."""
    box = handle.bounding_box()
    track = handle.evaluate_handle(
        "el => el.closest('.noUi-target, .ui-slider, input[type=range]') || el"
    ).as_element()
    width = track.bounding_box()["width"]
    is_range = handle.evaluate("el => el.type === 'range'")
    if is_range:  # the thumb of a native range input sits at its value's fraction
        fraction = handle.evaluate("el => (el.value - el.min) / (el.max - el.min)")
        x = box["x"] + 8 + fraction * (box["width"] - 16)
    else:
        x = box["x"] + box["width"] / 2
    return x, box["y"] + box["height"] / 2, 0.3 * width


def drag(page, handle, traffic, seconds: float, rtt_ms: float) -> dict:
    """Drag the slider at 60 Hz in real time; pictures per second and bytes per value step."""
    x0, y, amplitude = drag_path(handle)
    traffic.wait_quiet(page, rtt_ms)
    traffic.reset()
    page.mouse.move(x0, y)
    traffic.active = True
    page.mouse.down()
    start_ms, start = page.evaluate("performance.now()"), time.monotonic()
    moves, elapsed = 0, 0.0
    # Real time: the position follows the clock; a tick the browser was too busy for is skipped.
    while elapsed < seconds:
        page.mouse.move(x0 + amplitude * math.sin(2 * math.pi * elapsed / seconds), y)
        moves += 1
        elapsed = time.monotonic() - start
        time.sleep(max(0.0, (math.floor(elapsed * 60) + 1) / 60 - elapsed))
        elapsed = time.monotonic() - start
    page.mouse.up()
    end_ms = page.evaluate("performance.now()")
    traffic.wait_quiet(page, rtt_ms)
    traffic.active = False
    counts = page.evaluate(
        """([a, b]) => ({
          pictures: window.__bench.pictures.filter(p => p.t >= a && p.t <= b).length,
          values: window.__bench.values.filter(t => t >= a && t <= b).length})""",
        [start_ms, end_ms],
    )
    steps = max(counts["values"], 1)
    return {
        "seconds": (end_ms - start_ms) / 1000,
        "images_per_s": counts["pictures"] / ((end_ms - start_ms) / 1000),
        "mouse_moves_per_s": moves / ((end_ms - start_ms) / 1000),
        "value_steps": counts["values"],
        "bytes_sent_per_step": traffic.sent / steps,
        "bytes_received_per_step": traffic.received / steps,
    }


# A 60 Hz drag made inside the page: every 1/60 s the range input takes the next value of a
# sine around its start and fires `input`, as the browser does for a dragging hand. It bounds
# nothing by the driver's own speed (Playwright's mouse.move over the DevTools protocol runs
# at ~35 moves per second on two busy cores); only for a native range input (the new widgets).
IN_PAGE_DRAG_JS = """([seconds]) => new Promise(done => {
  const input = window.__benchSlider, b = window.__bench;
  const low = Number(input.min), high = Number(input.max), start = Number(input.value);
  const amplitude = 0.3 * (high - low), t0 = performance.now();
  let ticks = 0;
  const timer = setInterval(() => {
    const t = (performance.now() - t0) / 1000;
    if (t >= seconds) {
      clearInterval(timer);
      done({ticks, seconds: t, t0, t1: performance.now()});
      return;
    }
    const v = start + amplitude * Math.sin(2 * Math.PI * t / seconds);
    input.value = Math.min(high, Math.max(low, v));
    input.dispatchEvent(new Event("input", {bubbles: true}));
    ticks += 1;
  }, 1000 / 60);
})"""


def drag_in_page(page, handle, traffic, seconds: float, rtt_ms: float) -> dict | None:
    """The slider moved at 60 Hz by the page itself: pictures per second, bytes per value."""
    if not handle.evaluate("el => el.type === 'range'"):
        return None
    handle.evaluate("el => { window.__benchSlider = el; }")
    traffic.wait_quiet(page, rtt_ms)
    traffic.reset()
    traffic.active = True
    run = page.evaluate(IN_PAGE_DRAG_JS, [seconds])
    traffic.wait_quiet(page, rtt_ms)
    traffic.active = False
    pictures = page.evaluate(
        "([a, b]) => window.__bench.pictures.filter(p => p.t >= a && p.t <= b).length",
        [run["t0"], run["t1"]],
    )
    steps = max(run["ticks"], 1)
    return {
        "seconds": run["seconds"],
        "ticks_per_s": run["ticks"] / run["seconds"],
        "images_per_s": pictures / run["seconds"],
        "bytes_sent_per_step": traffic.sent / steps,
        "bytes_received_per_step": traffic.received / steps,
    }


def http_round_trip_ms(port: int, token: str) -> float:
    """Median time of GET /api/status through the proxy: checks that the delay is there."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    return percentile(times, 50)


def open_widget(page, url: str, widget: str, run_all_s: float) -> tuple[dict, object]:
    """Open the notebook, run every cell, find the widget and instrument it."""
    page.goto(url, timeout=120_000)
    run_all_cells(page, timeout_s=run_all_s)
    page.wait_for_function(f"({FIND_JS})({json.dumps(widget)}).found", timeout=60_000)
    info = page.evaluate(FIND_JS, widget)
    handle = page.evaluate_handle(INSTRUMENT_JS, widget).as_element()
    handle.scroll_into_view_if_needed()
    return info, handle


def measure(args, base: str, token: str, path: str) -> dict:
    """Every network setting on one page: the figures as a dict (see --json)."""
    from playwright.sync_api import sync_playwright

    proxy = DelayProxy(int(base.rsplit(":", 1)[1]))
    port = proxy.start()
    traffic, rounds = Traffic(), []
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            record_console(page)
            traffic.attach(page)
            proxied = notebook_url(f"http://127.0.0.1:{port}", token, path)
            info, handle = open_widget(page, proxied, args.widget, args.run_all_s)
            for rtt_ms, mbit_s in NETWORKS:
                proxy.set(rtt_ms, mbit_s)
                rounds.append(
                    {
                        "rtt_ms": rtt_ms,
                        "mbit_s": mbit_s,
                        "http_round_trip_ms": http_round_trip_ms(port, token),
                        "key": key_presses(page, handle, traffic, args.presses, rtt_ms),
                        "drag": drag(page, handle, traffic, args.drag_s, rtt_ms),
                        "drag_in_page": drag_in_page(page, handle, traffic, args.drag_s, rtt_ms),
                    }
                )
                print(f"  RTT {rtt_ms} ms done", file=sys.stderr)
            errors = [m for m in page.messages if m.startswith(("error", "pageerror"))]
            browser.close()
    finally:
        proxy.stop()
    return {"widget": args.widget, **info, "console_errors": errors, "rounds": rounds}


def kilobytes(n: float) -> str:
    return f"{n / 1000:.1f} kB" if n >= 1000 else f"{n:.0f} B"


def table(result: dict) -> str:
    """The figures as a Markdown table, one row per network setting."""
    lines = [
        "| round trip | key press → new digit (p50 / p95) | images per second while dragging"
        " at 60 Hz: mouse / in the page | bytes per slider step (sent / received) |",
        "| --- | --- | --- | --- |",
    ]
    for r in result["rounds"]:
        key, drag_ = r["key"], r["drag"]
        net = f"{r['rtt_ms']} ms" + (f", {r['mbit_s']} Mbit/s" if r["mbit_s"] else "")
        latency = (
            "n/a" if key["p50_ms"] is None else f"{key['p50_ms']:.0f} / {key['p95_ms']:.0f} ms"
        )
        if key["missed"]:
            latency += f" ({key['missed']} of {key['presses']} presses: no picture)"
        steps = (
            f"key {kilobytes(key['bytes_sent_per_step'])} / "
            f"{kilobytes(key['bytes_received_per_step'])}; drag "
            f"{kilobytes(drag_['bytes_sent_per_step'])} / "
            f"{kilobytes(drag_['bytes_received_per_step'])}"
        )
        in_page = r.get("drag_in_page")
        images = f"{drag_['images_per_s']:.1f}"
        if in_page:
            images += f" / {in_page['images_per_s']:.1f}"
            steps += (
                f"; 60 Hz in the page {kilobytes(in_page['bytes_sent_per_step'])} / "
                f"{kilobytes(in_page['bytes_received_per_step'])}"
            )
        lines.append(f"| {net} | {latency} | {images} | {steps} |")
    # what bounds the drag's images per second: the moves the browser took, the values they hit
    moves = " / ".join(f"{r['drag']['mouse_moves_per_s']:.0f}" for r in result["rounds"])
    values = " / ".join(
        f"{r['drag']['value_steps'] / r['drag']['seconds']:.0f}" for r in result["rounds"]
    )
    lines.append(f"\nwhile dragging, per second: mouse moves made {moves}; slider values {values}")
    return "\n".join(lines)


def versions() -> dict:
    """Versions of what was measured."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("jupyterlab", "ipywidgets", "anywidget", "torch", "playwright"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "06_vae.ipynb")
    parser.add_argument(
        "--widget", default="latent-explorer", help="data-widget name (e.g. traversal for 07)"
    )
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--run-all-s", type=float, default=480, help="limit for Run All")
    parser.add_argument("--drag-s", type=float, default=2.0)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--package-root",
        type=Path,
        default=ROOT,
        help="the checkout whose vae_teach the kernel imports (e.g. an older commit's copy)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        jupyter_server(
            args.notebook,
            Path(tmp),
            log_name="bench-jupyterlab.log",
            package_root=args.package_root,
        ) as (base, token, path),
    ):
        result = measure(args, base, token, path)
    result.update(notebook=str(args.notebook), versions=versions())
    result["seconds"] = round(time.monotonic() - started, 1)
    print(f"{args.notebook.name}, {result['widget']} ({result['mode']}, render: "
          f"{result['render']}), {result['seconds']} s\n")  # fmt: skip
    print(table(result))
    if result["console_errors"]:
        print("\nconsole errors:\n" + "\n".join(result["console_errors"][:10]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
