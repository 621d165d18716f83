"""The browser's decoder, in NumPy: js/base.js's mlpForward step by step, for the widget tests.

A widget sends `decoder` ({"layers": [{in, out, relu}], "input_dim"}) and `weights` (float32
bytes: each layer's W, out × in row-major, then b). `js_forward` reads them exactly as the
JavaScript does, sums in float64 like JS numbers, stores each layer's output in float32 like
its Float32Array, and ends with the sigmoid; the tests compare it with torch.
"""

import numpy as np


def js_forward(decoder: dict, weights: bytes, inputs) -> np.ndarray:
    """(B, input_dim) -> (B, D) pixels in [0, 1], as the browser computes them."""
    if "broadcast" in decoder:
        return _broadcast_forward(decoder, weights, inputs)
    return _mlp_forward(decoder["layers"], weights, inputs, decoder["input_dim"])


def _broadcast_forward(decoder: dict, weights: bytes, inputs) -> np.ndarray:
    """js/base.js's broadcastForward: the MLP on [z, u, v] at every pixel, row by row."""
    size = decoder["broadcast"]
    height, width = size["height"], size["width"]
    z = np.asarray(inputs, dtype=np.float32).reshape(-1, decoder["input_dim"])
    # u = −1 + 2c / (W − 1) across, v = −1 + 2r / (H − 1) down: (P, 2)
    v, u = np.meshgrid(
        -1 + 2 * np.arange(height) / (height - 1),
        -1 + 2 * np.arange(width) / (width - 1),
        indexing="ij",
    )
    coords = np.stack([u.reshape(-1), v.reshape(-1)], axis=1).astype(np.float32)
    pixels = len(coords)
    # (B·P, Z + 2): [z, u, v] for every image and pixel
    grid = np.concatenate([np.repeat(z, pixels, axis=0), np.tile(coords, (len(z), 1))], axis=1)
    out = _mlp_forward(decoder["layers"], weights, grid, decoder["input_dim"] + 2)
    return out.reshape(len(z), pixels)


def _mlp_forward(layers, weights: bytes, inputs, input_dim) -> np.ndarray:
    """js/base.js's mlpForward on each row of inputs (B, input_dim) -> (B, out)."""
    flat = np.frombuffer(weights, dtype="<f4")
    h = np.asarray(inputs, dtype=np.float32).reshape(-1, input_dim)
    offset = 0
    for layer in layers:
        n_in, n_out = layer["in"], layer["out"]
        W = flat[offset : offset + n_out * n_in].reshape(n_out, n_in)
        b = flat[offset + n_out * n_in : offset + n_out * (n_in + 1)]
        offset += n_out * (n_in + 1)
        # h_{l+1} = relu(W h_l + b), summed in float64, stored in float32
        out = h.astype(np.float64) @ W.T.astype(np.float64) + b.astype(np.float64)
        h = (np.maximum(out, 0) if layer["relu"] else out).astype(np.float32)
    assert offset == flat.size, "the weights hold more numbers than the layers use"
    # sigmoid(t) = 1 / (1 + e^{−t}), in float64 (Math.exp), stored in float32
    return (1 / (1 + np.exp(-h.astype(np.float64)))).astype(np.float32)
