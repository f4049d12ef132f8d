"""Exponential moving averages updated without host-device syncs.

mmengine's :class:`~mmengine.model.ExponentialMovingAverage` tests
``self.steps == 0`` on a device tensor every step (one sync on CUDA) and
updates parameter by parameter; mmpretrain's :class:`CosineEMA` even turns the
step tensor into a Python float once per parameter. The classes here keep a
host copy of the step counter, so the branch and the cosine momentum are
computed on the host, and update all parameters with one ``torch._foreach_*``
call. The numbers are mmengine's / mmpretrain's: same first-step copy, same
``lerp_`` (fixed momentum) or ``mul_``/``add_`` (cosine) per tensor. The
state dict is the same too (``module.*`` and ``steps``), so checkpoints of
either load into the other.
"""
from math import cos, pi
from typing import List, Optional

import torch
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models.utils import CosineEMA
from torch import nn

from mmdistill.registry import MODELS


class _ForeachEMAMixin:
    """The sync-free, batched ``update_parameters`` of an mmengine averaged
    model; subclasses say how a step's float tensors are averaged."""

    def _init_host_steps(self) -> None:
        self._host_steps = 0

    def _average(self, averaged: List[torch.Tensor],
                 source: List[torch.Tensor], steps: int) -> None:
        raise NotImplementedError

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        # Resuming reads the restored step count once, here, and not per step.
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if f'{prefix}steps' in state_dict:
            self._host_steps = int(state_dict[f'{prefix}steps'])

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model``'s parameters (and buffers with
        ``update_buffers``) into this copy, as mmengine's
        ``BaseAveragedModel.update_parameters`` does.

        Args:
            model (nn.Module): The model being averaged.
        """
        source = (
            model.state_dict()
            if self.update_buffers else dict(model.named_parameters()))
        steps = self._host_steps
        if steps == 0:
            torch._foreach_copy_(
                [p.data for p in self.avg_parameters.values()],
                [source[k].data for k in self.avg_parameters])
        elif steps % self.interval == 0:
            floats = [(p.data, source[k].data.to(p.device))
                      for k, p in self.avg_parameters.items()
                      if p.dtype.is_floating_point]
            if floats:
                averaged, new = map(list, zip(*floats))
                self._average(averaged, new, steps)
        if not self.update_buffers:
            averaged = [b.data for b in self.module.buffers()]
            if averaged:
                torch._foreach_copy_(averaged,
                                     [b.data for b in model.buffers()])
        self.steps.add_(1)
        self._host_steps = steps + 1


@MODELS.register_module()
class ForeachEMA(_ForeachEMAMixin, ExponentialMovingAverage):
    """mmengine's ``ExponentialMovingAverage`` (fixed ``momentum``, the MoCo
    key encoder's), without per-step syncs and as one foreach ``lerp_``.

    Args:
        model (nn.Module): The model to be averaged.
        momentum (float): Weight of the new value: ``avg = (1 - m) * avg +
            m * new`` (0.001 is MoCo's 0.999).
        interval (int): Update every ``interval`` steps.
        device (torch.device, optional): Where the averaged copy lives.
        update_buffers (bool): Average the buffers too instead of copying.
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 0.0002,
                 interval: int = 1,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        self._init_host_steps()

    def _average(self, averaged: List[torch.Tensor],
                 source: List[torch.Tensor], steps: int) -> None:
        torch._foreach_lerp_(averaged, source, self.momentum)


@MODELS.register_module()
class ForeachCosineEMA(_ForeachEMAMixin, CosineEMA):
    """mmpretrain's ``CosineEMA`` (BYOL's target network: the momentum
    anneals from ``momentum`` to ``end_momentum`` over the run's
    ``max_iters``), without per-step syncs and as one foreach update.

    Args:
        model (nn.Module): The model to be averaged.
        momentum (float): Momentum at step 0.
        end_momentum (float): Momentum at ``max_iters``.
        interval (int): Update every ``interval`` steps.
        device (torch.device, optional): Where the averaged copy lives.
        update_buffers (bool): Average the buffers too instead of copying.
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 0.004,
                 end_momentum: float = 0.,
                 interval: int = 1,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model, momentum, end_momentum, interval, device,
                         update_buffers)
        self._init_host_steps()

    def _average(self, averaged: List[torch.Tensor],
                 source: List[torch.Tensor], steps: int) -> None:
        max_iters = MessageHub.get_current_instance().get_info('max_iters')
        annealing = (cos(pi * steps / float(max_iters)) + 1) / 2
        momentum = self.end_momentum - (self.end_momentum -
                                        self.momentum) * annealing
        torch._foreach_mul_(averaged, 1 - momentum)
        torch._foreach_add_(averaged, source, alpha=momentum)
