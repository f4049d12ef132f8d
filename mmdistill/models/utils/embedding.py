"""One embedding per image from any backbone output."""
from typing import Sequence, Union

import torch


def pool_backbone_output(
        feats: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
    """Global embedding ``(N, D)`` of a backbone's (last) output.

    A feature map ``(N, C, H, W)`` is average-pooled over space, a token
    sequence ``(N, L, C)`` over tokens, and a vector ``(N, D)`` (a ViT's
    ``cls_token`` or a pooled output) is returned as it is.

    Raises:
        ValueError: For any other shape, naming it.
    """
    if isinstance(feats, (tuple, list)):
        feats = feats[-1]
    if feats.dim() == 4:
        return feats.mean(dim=(2, 3))
    if feats.dim() == 3:
        return feats.mean(dim=1)
    if feats.dim() == 2:
        return feats
    raise ValueError(
        f'The backbone output has shape {tuple(feats.shape)}; expected '
        f'(N, C, H, W), (N, L, C) or (N, D).')
