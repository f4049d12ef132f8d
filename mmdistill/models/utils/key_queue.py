"""In-place updates of MoCo-style key queues, free of host-device syncs.

mmpretrain's ``MoCo._dequeue_and_enqueue`` reads the pointer with
``int(self.queue_ptr)``, which waits for the GPU every step. Here the write
positions are computed on the device and the pointer advances in place, so
the step never synchronises. Several queues written with one pointer stay
aligned column by column.
"""
from typing import Sequence

import torch
from mmengine.dist import all_gather


@torch.no_grad()
def gather_keys(*keys: torch.Tensor) -> Sequence[torch.Tensor]:
    """All-gather several ``(N, C_i)`` key tensors across ranks in one call.

    Concatenating before the gather keeps the rank order identical for every
    tensor, which is what keeps a student and a teacher queue aligned.

    Returns:
        Sequence[torch.Tensor]: the gathered ``(world_size * N, C_i)`` tensors.
    """
    dims = [k.shape[1] for k in keys]
    gathered = torch.cat(all_gather(torch.cat(keys, dim=1)), dim=0)
    return gathered.split(dims, dim=1)


@torch.no_grad()
def enqueue_keys(queues: Sequence[torch.Tensor], queue_ptr: torch.Tensor,
                 keys: Sequence[torch.Tensor]) -> None:
    """Write ``keys[i]`` (``(B, C_i)``) into ``queues[i]`` (``(C_i, K)``).

    All queues share ``queue_ptr`` (a 1-element long tensor), so the same
    images land in the same columns. The pointer advances by ``B`` modulo
    ``K``; ``K`` must be a multiple of ``B``, as in MoCo.
    """
    queue_len = queues[0].shape[1]
    batch_size = keys[0].shape[0]
    if queue_len % batch_size:
        raise ValueError(
            f'queue_len ({queue_len}) must be divisible by the global batch '
            f'size per step ({batch_size} = batch size per GPU x world size). '
            f'Change model.queue_len or train_dataloader.batch_size.')
    cols = queue_ptr + torch.arange(batch_size, device=queue_ptr.device)
    for queue, k in zip(queues, keys):
        queue.index_copy_(1, cols, k.t().to(queue.dtype))
    queue_ptr.add_(batch_size).remainder_(queue_len)
