"""Fast LSTM steps for sampling: numpy for one token at a time, nn.LSTM for spans.

At batch sizes of 1 to 10, one eager `nn.LSTM` call spends far more time in
framework overhead than in arithmetic (0.4 ms of overhead against 0.1 ms of
numpy work for 256 hidden units), so a keystroke steps the network in numpy.
Reading a long span at once is the opposite case: the fused `nn.LSTM` kernel
wins, so `SpanReader` does that. Both compute the same function as the model's
`nn.LSTM` (tests check agreement to 1e-5) from their own copies of the weights,
so a training run that updates the original module never affects them.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import glob
import os
import sys
import threading
from collections.abc import Iterator

import numpy as np
import torch

from .model import LSTMLanguageModel

__all__ = ["NumpyLSTM", "SpanReader", "single_thread_blas"]

Array = np.ndarray


class NumpyLSTM:
    """A frozen float32 copy of a model's embedding, LSTM and head, stepped in numpy.

    The state is `(h, c)`, each `(num_layers, B, hidden)`. `step` returns new
    arrays and never writes into its inputs, so callers may keep old states.
    """

    def __init__(self, model: LSTMLanguageModel) -> None:
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
        # Layer 0 sees only embeddings, so its input projection is a table lookup.
        table = weights["embedding.weight"] @ gates("lstm.weight_ih_l0").T + bias0
        self._table = np.ascontiguousarray(table, dtype=np.float32)  # (V, 4H)
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
        g += self._table[tokens]  # (B, 4H)
        x, c_out[0] = self._cell(g, c[0])
        h_out[0] = x
        for layer in range(1, self.num_layers):
            g = _rows_matmul(np.concatenate([x, h[layer]], axis=1), self._w[layer - 1])
            g += self._b[layer - 1]
            x, c_out[layer] = self._cell(g, c[layer])
            h_out[layer] = x
        return h_out, c_out

    def logits(self, h_top: Array) -> Array:
        """Scores of the next token: (B, H) -> (B, V)."""
        return h_top @ self._head_w + self._head_b


def _rows_matmul(x: Array, w: Array) -> Array:
    """x (B, K) @ w (K, N) one row at a time: OpenBLAS's matrix-vector product is
    3-4x faster per row than its matrix product for B < 10 (measured, 1 thread)."""
    out = np.empty((x.shape[0], w.shape[1]), dtype=np.float32)
    for i in range(x.shape[0]):
        np.dot(x[i], w, out=out[i])
    return out


class SpanReader:
    """Reads a span of tokens into several states at once with the fused nn.LSTM.

    Holds its own deep copy of the embedding and LSTM; used under inference mode
    and never trained, so it is independent of the module it came from.
    """

    def __init__(self, model: LSTMLanguageModel) -> None:
        self._embedding = copy.deepcopy(model.embedding).to("cpu").float().eval()
        self._lstm = copy.deepcopy(model.lstm).to("cpu").float().eval()
        for p in (*self._embedding.parameters(), *self._lstm.parameters()):
            p.requires_grad_(False)

    def read(self, tokens: Array, h: Array, c: Array) -> tuple[Array, Array]:
        """All B states read the same `tokens` (T,): (L, B, H) states in and out."""
        batch = h.shape[1]
        with torch.inference_mode():
            ids = torch.from_numpy(np.ascontiguousarray(tokens, dtype=np.int64))
            x = self._embedding(ids)[None].expand(batch, -1, -1)  # (B, T, E)
            state = (torch.from_numpy(h), torch.from_numpy(c))
            _, (h_new, c_new) = self._lstm(x, state)
        return h_new.numpy(), c_new.numpy()


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
    """numpy's BLAS on one thread inside the block (a no-op where it is not OpenBLAS)."""
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
