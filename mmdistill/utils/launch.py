"""Settings applied to a config right before the Runner is built.

Shared by ``tools/train.py``, ``tools/test.py`` and the demo, so that every
entry point runs the same way on a GPU node and on a CPU-only machine.
"""
import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_distributed_backend(cfg: Config, launcher: str) -> None:
    """NCCL on GPU; gloo, initialised here, when no GPU is present.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device``
    unconditionally, and skips itself when a process group already exists.
    For CPU runs launched by torchrun (``--launcher pytorch``) we therefore
    create the gloo group first and wrap the model in DDP without device ids.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'CPU-only distributed runs need --launcher pytorch (torchrun, '
            f'e.g. tools/dist_train.sh); got --launcher {launcher}.')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False)


def set_dataloader_defaults(cfg: Config, pin_memory: bool = True,
                            persistent_workers: bool = True) -> None:
    """mmpretrain's dataloader defaults, minus the invalid combinations.

    ``persistent_workers`` is only set with worker processes (PyTorch raises
    otherwise) and ``pin_memory`` only with a GPU.
    """
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(field)
        if loader is None:
            continue
        has_workers = loader.get('num_workers', 0) > 0
        loader.setdefault('persistent_workers',
                          persistent_workers and has_workers)
        if not has_workers:
            loader.persistent_workers = False
        loader.setdefault('pin_memory',
                          pin_memory and torch.cuda.is_available())
        loader.setdefault('collate_fn', dict(type='default_collate'))


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision (needs a GPU)."""
    if not torch.cuda.is_available():
        raise RuntimeError(
            '--amp needs a CUDA device (mmengine AmpOptimWrapper); none is '
            'available. Run without --amp on CPU.')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def finish_distributed() -> None:
    """Let every rank reach the end, then close the process group.

    Without it a rank that finishes first exits while rank 0 still writes
    the last checkpoint, and its gloo threads are torn down mid-flight
    (``terminate called without an active exception``).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
