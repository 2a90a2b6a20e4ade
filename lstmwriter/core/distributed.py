"""Distributed data-parallel training under torchrun (NCCL on CUDA, Gloo on CPU).

torchrun sets RANK, LOCAL_RANK, WORLD_SIZE and the rendezvous; `setup_from_env` joins
the process group. Each rank trains on its own share of the parallel streams; rank 0
alone logs, checkpoints and saves. Every decision that depends on a clock (time limit,
checkpoint interval, cancel) is agreed on by all ranks each step, so they never
diverge into a hang.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["DistributedContext", "setup_from_env", "agree", "agreed_max",
           "gather_streams", "is_distributed"]


@dataclass(frozen=True)
class DistributedContext:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def setup_from_env(timeout_s: float = 300.0) -> DistributedContext:
    """Join torchrun's process group if this process was started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistributedContext()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(
            backend="nccl" if cuda else "gloo",
            timeout=datetime.timedelta(seconds=timeout_s),
            device_id=torch.device("cuda", local_rank) if cuda else None,
        )
    return DistributedContext(rank, world, local_rank, local_world)


def agree(flags: list[bool]) -> list[bool]:
    """Each flag is true on every rank if it is true on any rank."""
    if not is_distributed():
        return flags
    return [bool(v) for v in agreed_max([float(f) for f in flags])]


def agreed_max(values: list[float]) -> list[float]:
    """Each value's largest over all ranks, the same on every rank (one all-reduce)."""
    if not is_distributed():
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=_collective_device())
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tensor.tolist()


def gather_streams(tensor: torch.Tensor, world: int) -> torch.Tensor:
    """Reassemble a (L, B/world, H) per-rank state into (L, B, H) in stream order
    (rank r holds streams r, r + world, ...). Every rank must call it."""
    if not is_distributed():
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(world)]
    dist.all_gather(parts, tensor.contiguous())
    layers, rows, hidden = tensor.shape
    full = tensor.new_empty(layers, rows * world, hidden)
    for r, part in enumerate(parts):
        full[:, r::world] = part
    return full


def _collective_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")
