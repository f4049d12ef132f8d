"""Freezing a network for real: no gradients, normalisation in eval mode."""
import torch.nn as nn


def freeze_module(module: nn.Module) -> nn.Module:
    """Turn off gradients of ``module`` and put it in eval mode.

    Eval mode keeps batch-norm running statistics fixed and dropout off. A
    parent's ``train()`` would switch it back, so owners of a frozen module
    override ``train()`` to call ``module.eval()`` again (see :class:`SPT`).

    Returns:
        nn.Module: ``module`` itself.
    """
    module.requires_grad_(False)
    module.eval()  # some backbones' train() (mmpretrain's ResNet) return None
    return module
