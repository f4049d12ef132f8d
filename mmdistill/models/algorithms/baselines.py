"""mmpretrain's MoCo and BYOL with our sync-free EMA.

The distilled students inherit these, so a plain baseline and its distilled
variant update their momentum encoders the same way and a speed comparison
measures only what distillation adds. Numbers and state dicts are
mmpretrain's (``encoder_k.module.*`` / ``target_net.module.*``, ``steps``):
checkpoints of ``MoCo`` and ``BYOL`` runs load unchanged.
"""
from mmpretrain.models.selfsup import BYOL, MoCo
from torch import nn

from mmdistill.registry import MODELS
from ..utils.ema import ForeachCosineEMA, ForeachEMA


@MODELS.register_module()
class ForeachEMAMoCo(MoCo):
    """mmpretrain's :class:`MoCo` whose key encoder is a
    :class:`ForeachEMA`. Arguments are :class:`MoCo`'s."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.encoder_k = ForeachEMA(
            nn.Sequential(self.backbone, self.neck), self.encoder_k.momentum)


@MODELS.register_module()
class ForeachEMABYOL(BYOL):
    """mmpretrain's :class:`BYOL` whose target network is a
    :class:`ForeachCosineEMA`. Arguments are :class:`BYOL`'s."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.target_net = ForeachCosineEMA(
            nn.Sequential(self.backbone, self.neck),
            momentum=self.target_net.momentum)
