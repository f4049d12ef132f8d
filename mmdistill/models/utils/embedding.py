"""What a backbone outputs, and the one vector per image taken from it.

Backbones of different families end differently: CNNs (mmpretrain ResNet,
ConvNeXt, MobileNet, EfficientNet, timm CNNs through ``TIMMBackbone``) give a
feature map ``(B, C, H, W)``; mmpretrain's ``VisionTransformer`` gives, by
``out_type``, a vector ``(B, C)`` (``'cls_token'``, ``'avg_featmap'``), a map
of its patch tokens (``'featmap'``) or all tokens ``(B, L, C)``
(``'raw'``); timm ViTs through ``TIMMBackbone`` always give all tokens.

:func:`pool_embedding` turns any of them into ``(B, C)``:

- a feature map is globally average-pooled;
- a vector is used as it is;
- tokens give the class token (``'cls_token'``) or the mean of the patch
  tokens (``'patch_mean'``), i.e. of the tokens after the backbone's extra
  (class, register, distillation) tokens.

:func:`probe_inputs` makes inputs at the size the backbone expects (its own
``img_size`` where it has one), for checks run once at build time.
"""
from typing import Tuple

import torch
from torch import nn

TOKEN_EMBEDDINGS = ('cls_token', 'patch_mean')
# The probe size of backbones that take any input size (CNNs): small, and a
# multiple of 32 so that every stride-32 network keeps a 2x2 map.
DEFAULT_PROBE_SIZE = (64, 64)


def _timm_model(backbone: nn.Module) -> nn.Module:
    """The timm network inside an mmpretrain ``TIMMBackbone``, or ``None``."""
    return getattr(backbone, 'timm_model', None)


def num_extra_tokens(backbone: nn.Module) -> int:
    """Tokens before the patch tokens in a token output of ``backbone``.

    mmpretrain's ViTs call them ``num_extra_tokens``, timm's
    ``num_prefix_tokens``; a backbone without either is taken to have one
    class token.
    """
    model = _timm_model(backbone) or backbone
    for name in ('num_extra_tokens', 'num_prefix_tokens'):
        if hasattr(model, name):
            return int(getattr(model, name))
    return 1


def input_size(backbone: nn.Module) -> Tuple[int, int]:
    """The ``(H, W)`` input a backbone is built for, else
    :data:`DEFAULT_PROBE_SIZE`.

    mmpretrain's transformers store ``img_size``; a timm ViT keeps it in its
    patch embedding and, unless built with ``dynamic_img_size=True``, only
    accepts that size.
    """
    size = getattr(backbone, 'img_size', None)
    model = _timm_model(backbone)
    if size is None and model is not None and not getattr(
            model, 'dynamic_img_size', False):
        size = getattr(getattr(model, 'patch_embed', None), 'img_size', None)
    if size is None:
        return DEFAULT_PROBE_SIZE
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def probe_inputs(backbone: nn.Module, batch_size: int,
                 seed: int = 0) -> torch.Tensor:
    """A fixed random batch ``(batch_size, 3, H, W)`` at :func:`input_size`."""
    return torch.randn(
        batch_size, 3, *input_size(backbone),
        generator=torch.Generator().manual_seed(seed))


def pool_embedding(feat: torch.Tensor,
                   token_embedding: str = 'cls_token',
                   extra_tokens: int = 1) -> torch.Tensor:
    """One ``(B, C)`` vector per image from a backbone output.

    Args:
        feat (torch.Tensor): ``(B, C, H, W)``, ``(B, C)`` or ``(B, L, C)``.
        token_embedding (str): For tokens: ``'cls_token'`` or
            ``'patch_mean'``.
        extra_tokens (int): Tokens before the patch tokens
            (:func:`num_extra_tokens`).

    Raises:
        ValueError: for another output shape, an unknown
            ``token_embedding``, or ``'cls_token'`` of tokens without one.
    """
    if token_embedding not in TOKEN_EMBEDDINGS:
        raise ValueError(f'The token embedding must be one of '
                         f'{TOKEN_EMBEDDINGS}, got {token_embedding!r}')
    if feat.dim() == 4:
        return feat.mean((2, 3))
    if feat.dim() == 2:
        return feat
    if feat.dim() != 3:
        raise ValueError(
            f'Cannot embed a backbone output of shape {tuple(feat.shape)}: '
            f'expected (B, C, H, W), (B, C) or tokens (B, L, C).')
    if token_embedding == 'patch_mean':
        return feat[:, extra_tokens:].mean(1)
    if extra_tokens < 1:
        raise ValueError(
            "The backbone's tokens have no class token: use the token "
            "embedding 'patch_mean'.")
    return feat[:, 0]


def backbone_embedding(backbone: nn.Module, outputs,
                       token_embedding: str = 'patch_mean') -> torch.Tensor:
    """The ``(B, C)`` embedding of a backbone's (last) output, as feature
    extraction, inference and the k-NN monitor use it: see
    :func:`pool_embedding`."""
    feat = outputs[-1] if isinstance(outputs, (tuple, list)) else outputs
    return pool_embedding(feat, token_embedding, num_extra_tokens(backbone))
