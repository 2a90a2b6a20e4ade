"""Fast LSTM steps for sampling, in numpy on the calling thread.

At batch sizes of 1 to 10, one eager `nn.LSTM` call spends far more time in
framework overhead than in arithmetic (0.45 ms against 0.07 ms of numpy work for
a 256 x 2 model, 11 ms against 0.28 ms for 512 x 2 on a busy 2-core machine), so
a keystroke steps the network in numpy. Spans (reading a context) go layer by
layer: one matrix product for all input projections, then the recurrence.
`nn.LSTM` reads a span about as fast when the machine is idle, but its thread
team stalls when a training run keeps the cores busy (5-11 s instead of 0.3 s
for 1,560 characters), so numpy does that too. Results agree with the model's
`nn.LSTM` to 1e-5 (tested); the weights are a copy, so a training run that
updates the original module never affects them.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
import threading
from collections.abc import Iterator

import numpy as np
import torch

from .model import LSTMLanguageModel

__all__ = ["NumpyLSTM", "single_thread_blas"]

Array = np.ndarray
_MAX_TABLE = 8_000_000  # floats of layer 0's input table, 32 MB


class NumpyLSTM:
    """A frozen float32 copy of a model's embedding, LSTM and head, stepped in numpy.

    The state is `(h, c)`, each `(num_layers, B, hidden)`. `step` returns new
    arrays and never writes into its inputs, so callers may keep old states.
    """

    def __init__(self, model: LSTMLanguageModel,
                 weights: dict[str, Array] | None = None) -> None:
        """A copy of `model`'s weights, or of `weights` (same names and shapes)."""
        if weights is None:
            weights = {k: v.detach().to("cpu", torch.float32).numpy().copy()
                       for k, v in model.state_dict().items()}
        config = model.config
        self.num_layers = config.num_layers
        self.hidden_size = hidden = config.rnn_size
        self.vocab_size = config.vocab_size
        # Gate order is PyTorch's: input, forget, cell, output. Halving the rows of
        # the three sigmoid gates lets one tanh serve all four, as
        # sigmoid(x) = 0.5 * tanh(x / 2) + 0.5 (and never overflows, unlike exp).
        scale = np.full(4 * hidden, 0.5, dtype=np.float32)
        scale[2 * hidden:3 * hidden] = 1.0

        def gates(name: str) -> Array:
            return weights[name] * scale[:, None]

        bias0 = (weights["lstm.bias_ih_l0"] + weights["lstm.bias_hh_l0"]) * scale
        # Layer 0 sees only embeddings, so its input projection is a table lookup,
        # unless the table would be large (a word model's vocabulary).
        self._table: Array | None = None
        if self.vocab_size * 4 * hidden <= _MAX_TABLE:
            table = weights["embedding.weight"] @ gates("lstm.weight_ih_l0").T + bias0
            self._table = np.ascontiguousarray(table, dtype=np.float32)  # (V, 4H)
        else:
            self._embedding = np.ascontiguousarray(weights["embedding.weight"],
                                                   dtype=np.float32)  # (V, E)
            self._w_ih0 = np.ascontiguousarray(gates("lstm.weight_ih_l0").T)  # (E, 4H)
            self._b0 = bias0.astype(np.float32)
        self._w_hh0 = np.ascontiguousarray(gates("lstm.weight_hh_l0").T)  # (H, 4H)
        self._w: list[Array] = []  # layer l >= 1: [W_ih; W_hh]^T, (2H, 4H)
        self._b: list[Array] = []
        for layer in range(1, self.num_layers):
            w = np.concatenate([gates(f"lstm.weight_ih_l{layer}"),
                                gates(f"lstm.weight_hh_l{layer}")], axis=1)
            self._w.append(np.ascontiguousarray(w.T))
            self._b.append((weights[f"lstm.bias_ih_l{layer}"]
                            + weights[f"lstm.bias_hh_l{layer}"]) * scale)
        self._head_w = np.ascontiguousarray(weights["head.weight"].T)  # (H, V)
        self._head_b = weights["head.bias"]

    def zero_state(self, batch: int) -> tuple[Array, Array]:
        shape = (self.num_layers, batch, self.hidden_size)
        return np.zeros(shape, np.float32), np.zeros(shape, np.float32)

    def _cell(self, gates: Array, c: Array) -> tuple[Array, Array]:
        hidden = self.hidden_size
        t = np.tanh(gates)  # (B, 4H): i, f, o as tanh(x/2); the cell input as tanh(x)
        sig = t[:, :2 * hidden] * 0.5 + 0.5
        c_new = sig[:, hidden:] * c + sig[:, :hidden] * t[:, 2 * hidden:3 * hidden]
        h_new = (t[:, 3 * hidden:] * 0.5 + 0.5) * np.tanh(c_new)
        return h_new, c_new

    def step(self, tokens: Array | int, h: Array, c: Array) -> tuple[Array, Array]:
        """Read one token per sequence: tokens (B,) or one id for all B."""
        h_out = np.empty_like(h)
        c_out = np.empty_like(c)
        g = _rows_matmul(h[0], self._w_hh0)
        g += self._input0(np.atleast_1d(tokens))  # (B, 4H)
        x, c_out[0] = self._cell(g, c[0])
        h_out[0] = x
        for layer in range(1, self.num_layers):
            g = _rows_matmul(np.concatenate([x, h[layer]], axis=1), self._w[layer - 1])
            g += self._b[layer - 1]
            x, c_out[layer] = self._cell(g, c[layer])
            h_out[layer] = x
        return h_out, c_out

    def read(self, tokens: Array, h: Array, c: Array) -> tuple[Array, Array]:
        """All B states read the same `tokens` (T,): (L, B, H) states in and out."""
        hidden = self.hidden_size
        h_out = np.empty_like(h)
        c_out = np.empty_like(c)
        steps = len(tokens)
        inputs = self._input0(np.asarray(tokens))[:, None, :]  # (T, 1, 4H), for all B
        for layer in range(self.num_layers):
            w_hh = self._w_hh0 if layer == 0 else self._w[layer - 1][hidden:]
            seq = np.empty((steps, h.shape[1], hidden), np.float32)  # this layer's h
            h_l, c_l = h[layer], c[layer]
            for t in range(steps):
                g = _rows_matmul(h_l, w_hh)
                g += inputs[t]
                h_l, c_l = self._cell(g, c_l)
                seq[t] = h_l
            h_out[layer], c_out[layer] = h_l, c_l
            if layer + 1 < self.num_layers:  # all input projections of the next layer
                w_ih, bias = self._w[layer][:hidden], self._b[layer]
                inputs = (seq.reshape(-1, hidden) @ w_ih + bias).reshape(steps, -1,
                                                                          4 * hidden)
        return h_out, c_out

    def _input0(self, tokens: Array) -> Array:
        """Layer 0's input projections of `tokens` (N,): (N, 4H)."""
        if self._table is not None:
            return self._table[tokens]
        return _rows_matmul(self._embedding[tokens], self._w_ih0) + self._b0

    def keep_outputs(self, count: int) -> None:
        """Score only the first `count` tokens from now on (`logits` gives
        (B, count)): a word model's likeliest words, at a fraction of the cost."""
        self._head_w = np.ascontiguousarray(self._head_w[:, :count])
        self._head_b = self._head_b[:count].copy()

    def logits(self, h_top: Array) -> Array:
        """Scores of the next token: (B, H) -> (B, V)."""
        out = _rows_matmul(h_top, self._head_w)
        out += self._head_b
        return out


def _rows_matmul(x: Array, w: Array) -> Array:
    """x (B, K) @ w (K, N) one row at a time: OpenBLAS's matrix-vector product is
    3-4x faster per row than its matrix product for B < 10 (measured, 1 thread)."""
    if x.shape[0] >= 10:
        return x @ w
    out = np.empty((x.shape[0], w.shape[1]), dtype=np.float32)
    for i in range(x.shape[0]):
        np.dot(x[i], w, out=out[i])
    return out


# -- BLAS threads ------------------------------------------------------------
# numpy's OpenBLAS splits even a (3 x 1088) @ (1088 x 2048) product over all
# cores; with a training run busy on those cores, the split product waits for a
# free core and a 0.5 ms step becomes 40 ms. Sampling matrices are small, so
# they run on the calling thread alone. OpenBLAS keeps one global count, so a
# lock and a depth counter make nested or concurrent users restore it once.

_blas_lock = threading.Lock()
_blas_depth = 0
_blas_saved = 0


def _find_openblas():
    folder = os.path.dirname(np.__file__)
    patterns = [os.path.join(folder, "..", "numpy.libs", "*openblas*"),
                os.path.join(folder, ".dylibs", "*openblas*"),
                os.path.join(folder, "..", "numpy.libs", "*openblas*.dll")]
    names = [("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
             ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
             ("openblas_set_num_threads", "openblas_get_num_threads")]
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in names:
                setter = getattr(lib, set_name, None)
                getter = getattr(lib, get_name, None)
                if setter is not None and getter is not None:
                    setter.argtypes, setter.restype = [ctypes.c_int], None
                    getter.argtypes, getter.restype = [], ctypes.c_int
                    return setter, getter
    return None


_OPENBLAS = _find_openblas() if sys.platform != "emscripten" else None


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """numpy's BLAS on one thread inside the block (a no-op where it is not
    OpenBLAS)."""
    global _blas_depth, _blas_saved
    if _OPENBLAS is None:
        yield
        return
    setter, getter = _OPENBLAS
    with _blas_lock:
        if _blas_depth == 0:
            _blas_saved = getter()
            if _blas_saved != 1:
                setter(1)
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0 and _blas_saved != 1:
                setter(_blas_saved)
