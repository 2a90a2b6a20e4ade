"""The corpus as B contiguous parallel streams, cut into truncated-BPTT windows."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["StreamBatches"]


class StreamBatches:
    """Windows (x, y) over B streams; every token after the first is a target once.

    Stream b reads ids[b*n : (b+1)*n] and predicts ids[b*n+1 : (b+1)*n+1], so the
    hidden state carried from window to window always continues the same text.
    With `rank`/`world` (distributed training) each process takes its own share
    of the streams (b = rank, rank + world, ...).
    """

    def __init__(self, ids: np.ndarray, batch_size: int, seq_length: int,
                 rank: int = 0, world: int = 1) -> None:
        n = (len(ids) - 1) // batch_size
        if n < 1:
            raise ValueError(
                f"corpus too small: {len(ids)} tokens cannot fill {batch_size} streams"
            )
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.stream_length = n
        rows = slice(rank, batch_size, world)
        self._x = np.asarray(ids[: batch_size * n]).reshape(batch_size, n)[rows]
        self._y = np.asarray(ids[1 : batch_size * n + 1]).reshape(batch_size, n)[rows]

    def __len__(self) -> int:
        """Windows per epoch."""
        return -(-self.stream_length // self.seq_length)

    @property
    def tokens_per_epoch(self) -> int:
        return self.batch_size * self.stream_length

    def window(self, index: int, device: torch.device | str = "cpu"
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets (B, T) of window `index` (the last one may be shorter)."""
        start = index * self.seq_length
        stop = min(start + self.seq_length, self.stream_length)
        x = torch.from_numpy(self._x[:, start:stop].astype(np.int64))
        y = torch.from_numpy(self._y[:, start:stop].astype(np.int64))
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)
