"""In-place updates of MoCo-style key queues, free of host-device syncs.

mmpretrain's ``MoCo._dequeue_and_enqueue`` reads the pointer with
``int(self.queue_ptr)``, which waits for the GPU every step. Here the write
positions are computed on the device and the pointer advances in place, so
the step never synchronises. Several queues written with one pointer stay
aligned column by column. Write positions wrap modulo the queue length, so a
run resumed with another global batch (e.g. more GPUs), whose pointer is not
a multiple of the new batch, continues.

:class:`DeferredEnqueueMixin` writes a step's keys at the start of the next
step instead of at its end, so the loss can use the queue buffers directly:
mmpretrain clones the whole queue every step because its in-place write
would otherwise change a tensor that the backward pass still needs.
"""
from typing import Sequence, Tuple

import torch
from mmengine.dist import all_gather, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdistill.registry import HOOKS


def check_queue_batch(queue_len: int, batch_size: int,
                      batch_size_per_gpu: int) -> None:
    """Refuse a queue length that is not a multiple of the global batch.

    As in MoCo, every key then stays in the queue for exactly
    ``queue_len / batch_size`` steps.
    """
    if queue_len % batch_size:
        multiple = (queue_len // batch_size + 1) * batch_size
        raise ValueError(
            f'model.queue_len ({queue_len}) must be a multiple of the global '
            f'batch size {batch_size} (train_dataloader.batch_size '
            f'{batch_size_per_gpu} x world size '
            f'{batch_size // batch_size_per_gpu}): set model.queue_len='
            f'{multiple} or change train_dataloader.batch_size.')


@HOOKS.register_module()
class KeyQueueCheckHook(Hook):
    """Checks the queue length against the global batch before training.

    The world size and the dataloader's batch size are known only to the
    Runner, so the check runs in ``before_train``, before the first step
    (and after a resume, which may bring another world size). Models without
    a ``queue_len`` are ignored.
    """

    def before_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        queue_len = getattr(model, 'queue_len', None)
        batch_size = runner.train_dataloader.batch_size
        if queue_len is None or batch_size is None:
            return
        check_queue_batch(queue_len, batch_size * get_world_size(),
                          batch_size)


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
    images land in the same columns ``ptr, ptr + 1, ... (mod K)``. The
    pointer advances by ``B`` modulo ``K``; ``K`` must be a multiple of
    ``B``, as in MoCo (:class:`KeyQueueCheckHook` checks it when training
    starts; this checks the shapes again, without a sync).
    """
    queue_len = queues[0].shape[1]
    batch_size = keys[0].shape[0]
    check_queue_batch(queue_len, batch_size,
                      batch_size // get_world_size())
    cols = (queue_ptr + torch.arange(batch_size, device=queue_ptr.device)
            ).remainder_(queue_len)
    for queue, k in zip(queues, keys):
        queue.index_copy_(1, cols, k.t().to(queue.dtype))
    queue_ptr.add_(batch_size).remainder_(queue_len)


class DeferredEnqueueMixin:
    """Enqueue a step's keys after its backward pass, without a queue clone.

    ``l_neg = q @ queue`` saves ``queue`` for the backward pass; writing the
    new keys into it in place before the backward would fail autograd's
    version check, which is why MoCo uses ``queue.clone()``. Here
    :meth:`_defer_enqueue` gathers the keys at the end of the step (as
    before) and holds them; :meth:`_enqueue_pending` writes them at the start
    of the next loss call, before the queues are read, so every step sees
    exactly the queue MoCo's would. Saving the state dict writes pending keys
    first, so checkpoints are unchanged; loading one drops them.

    Subclasses name their queue buffers in ``queue_names``; all share
    ``queue_ptr``. Read queues through ``state_dict()`` between steps.
    """

    queue_names: Tuple[str, ...]

    def _defer_enqueue(self, *keys: torch.Tensor) -> None:
        """Gather ``keys`` (one per queue of ``queue_names``) to write them
        at the start of the next step."""
        self.__dict__['_pending_keys'] = gather_keys(*keys)

    def _enqueue_pending(self) -> None:
        pending = self.__dict__.pop('_pending_keys', None)
        if pending is not None:
            enqueue_keys([getattr(self, name) for name in self.queue_names],
                         self.queue_ptr, pending)

    def _save_to_state_dict(self, *args, **kwargs) -> None:
        self._enqueue_pending()
        super()._save_to_state_dict(*args, **kwargs)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self.__dict__.pop('_pending_keys', None)
        super()._load_from_state_dict(*args, **kwargs)
