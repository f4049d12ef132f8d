"""An early, named error when a backbone's output does not fit its neck.

Swapping the backbone of a config (``ResNet`` -> ``VisionTransformer``)
otherwise fails at the first training step, deep inside the neck
(``ValueError: Input dimension should be at least 3`` from the pooling of
``MoCoV2Neck``, or a matrix-shape error). :func:`check_neck_fits` probes the
backbone once at build time and names the config key to change and the value
that would fit.
"""
from typing import Optional, Tuple

import torch
from torch import nn

from .embedding import input_size, probe_inputs


def _first_linear(neck: nn.Module) -> Optional[nn.Linear]:
    return next((m for m in neck.modules() if isinstance(m, nn.Linear)), None)


def _probe(backbone: nn.Module) -> Tuple[torch.Tensor, ...]:
    """The backbone's outputs on a probe batch, in eval mode, no autograd;
    every module's train/eval mode is restored."""
    modes = [(m, m.training) for m in backbone.modules()]
    backbone.eval()
    try:
        with torch.no_grad():
            feats = backbone(probe_inputs(backbone, 2))
    finally:
        for module, mode in modes:
            module.training = mode
    return tuple(feats) if isinstance(feats, (list, tuple)) else (feats, )


def _shape_fix(backbone: nn.Module, feat: torch.Tensor, pools: bool,
               key: str) -> Optional[str]:
    """What makes ``feat`` the kind of output the neck takes (alternatives
    joined by "or"), or None if it is that kind already."""
    if feat.dim() == (4 if pools else 2):
        return None
    out_type = getattr(backbone, 'out_type', None)
    fixes = []
    if feat.dim() == (2 if pools else 4):
        fixes.append(f'{key}.neck.with_avg_pool={not pools}')
    if out_type is not None:
        fixes.append(
            f"{key}.backbone.out_type='featmap' (the neck then averages the "
            f"patch tokens)" if pools else f"{key}.backbone.out_type="
            f"'cls_token' or 'avg_featmap' (mean of the patch tokens)")
    if not fixes:
        fixes.append("a backbone that pools its tokens (timm ViTs through "
                     "TIMMBackbone return all of them; mmpretrain's "
                     "VisionTransformer has out_type='cls_token'), or no "
                     "neck (a neck-less teacher pools tokens itself)")
    return ' or '.join(fixes)


def check_neck_fits(backbone: nn.Module,
                    neck: Optional[nn.Module],
                    key: str = 'model') -> None:
    """Check on a probe batch that ``neck`` can take ``backbone``'s output.

    Necks with a ``with_avg_pool`` switch (``MoCoV2Neck``,
    ``NonLinearNeck``) take one output: a feature map ``(B, C, H, W)`` when
    they pool, a vector ``(B, C)`` when they do not, with ``C`` the
    ``in_channels`` of their first linear layer. Any other neck is run on the
    probe outputs.

    Args:
        backbone (nn.Module): The built backbone.
        neck (nn.Module, optional): The built neck; nothing to check if None.
        key (str): Config key of the model holding both, used in the
            message (``'model'``, ``'model.teacher'``).

    Raises:
        ValueError: naming the backbone's outputs and the keys
            (``out_indices``, ``out_type``, ``neck.with_avg_pool``,
            ``neck.in_channels``) with the values that would fit.
    """
    if neck is None:
        return
    feats = _probe(backbone)
    shapes = [tuple(f.shape) for f in feats]
    where = (f'{key}.backbone ({type(backbone).__name__}) outputs {shapes} '
             f'for {input_size(backbone)} inputs, which '
             f'{key}.neck ({type(neck).__name__}) cannot take')
    if not hasattr(neck, 'with_avg_pool'):
        try:
            with torch.no_grad():
                neck(feats)
        except Exception as err:  # any failure of a neck we do not know
            raise ValueError(f'{where}: {err}') from err
        return

    fixes = []
    if len(feats) != 1:
        indices = getattr(backbone, 'out_indices', None)
        last = f'({list(indices)[-1]}, )' if indices else 'its last stage'
        fixes.append(f'{key}.backbone.out_indices={last} (the neck takes '
                     f'one output)')
    feat = feats[-1]
    shape_fix = _shape_fix(backbone, feat, neck.with_avg_pool, key)
    if shape_fix:
        fixes.append(shape_fix)
    linear = _first_linear(neck)
    if feat.dim() in (2, 4) and linear is not None and \
            linear.in_features != feat.shape[1]:
        fixes.append(f'{key}.neck.in_channels={feat.shape[1]} (now '
                     f'{linear.in_features})')
    if fixes:
        raise ValueError(f'{where}. Fix: ' + '; and '.join(fixes) + '.')
