"""The browser's decoder, in NumPy: js/base.js's mlpForward step by step, for the widget tests.

A widget sends `decoder` ({"layers": [{in, out, relu}], "input_dim"}) and `weights` (float32
bytes: each layer's W, out × in row-major, then b). `js_forward` reads them exactly as the
JavaScript does, sums in float64 like JS numbers, stores each layer's output in float32 like
its Float32Array, and ends with the sigmoid; the tests compare it with torch.
"""

import numpy as np


def js_forward(decoder: dict, weights: bytes, inputs) -> np.ndarray:
    """(B, input_dim) -> (B, D) pixels in [0, 1], as the browser computes them."""
    flat = np.frombuffer(weights, dtype="<f4")
    h = np.asarray(inputs, dtype=np.float32).reshape(-1, decoder["input_dim"])
    offset = 0
    for layer in decoder["layers"]:
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
