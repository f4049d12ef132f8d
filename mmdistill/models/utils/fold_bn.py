"""Folding frozen BatchNorm layers into the convolutions before them."""
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fold_batch_norms(module: nn.Module) -> nn.Module:
    """Fold each ``nn.BatchNorm2d`` into the ``nn.Conv2d`` registered just
    before it, in place; the BN becomes ``nn.Identity``.

    Only valid for a frozen network in eval mode, and only where the BN is
    applied right after that convolution -- true of mmpretrain's ResNets
    (``conv1``/``bn1``, ``downsample = Sequential(conv, bn)``), which is what
    registration order tells. Types must match exactly: subclasses such as
    timm's ``Conv2dSame`` (dynamic padding) or ``BatchNormAct2d`` (BN plus an
    activation) are left alone. Callers verify the outputs (see
    :class:`FrozenTeacher`).
    """
    previous_name, previous = None, None
    for name, child in list(module.named_children()):
        if (type(child) is nn.BatchNorm2d and previous is not None
                and previous.out_channels == child.num_features):
            setattr(module, previous_name, fuse_conv_bn_eval(previous, child))
            setattr(module, name, nn.Identity())
            previous = None
        elif type(child) is nn.Conv2d:
            previous_name, previous = name, child
        else:
            fold_batch_norms(child)
            previous = None
    return module
