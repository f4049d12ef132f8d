"""torchvision classifiers, mapped key by key onto mmpretrain backbones.

Each architecture is recognised by keys only it has, and converted by a map
that accounts for every key: a key it does not know is refused, never passed
on, so a checkpoint of an unmapped variant cannot turn into keys nothing
loads. The classifier (``fc``, ``classifier``, ``heads``) is dropped; for
ConvNeXt the classifier's LayerNorm is kept as the backbone's final norm.

========================  ====================================================
torchvision               mmpretrain backbone
========================  ====================================================
``resnet``, ``resnext``   ``ResNet`` / ``ResNeXt`` (the same keys, ``fc``
                          dropped)
``mobilenet_v2``          ``MobileNetV2`` (``out_indices=(7, )``: the last
                          1x1 conv)
``convnext``              ``ConvNeXt`` (default ``out_indices=-1`` and
                          ``gap_before_final_norm=True``: the classifier's
                          pooled, normalised features)
``vit``                   ``VisionTransformer`` (``out_type='cls_token'``:
                          torchvision's class-token representation)
========================  ====================================================
"""
import re
from collections import OrderedDict
from typing import Callable, Dict, Mapping, Optional, Tuple

import torch

from mmdistill.utils.checkpoint import CheckpointError
from .fit import key_examples

StateDict = Mapping[str, torch.Tensor]


def _unmapped(arch: str, key: str) -> CheckpointError:
    return CheckpointError(
        f'torchvision {arch} key {key!r} has no mmpretrain counterpart: this '
        f'variant of {arch} is not mapped. Supported: {supported()}.')


def _resnet(state_dict: StateDict) -> StateDict:
    return OrderedDict((k, v) for k, v in state_dict.items()
                       if not k.startswith('fc.'))


def _mobilenet_v2_blocks() -> Dict[int, str]:
    """torchvision ``features.<i>`` (1..17) -> mmpretrain ``layer<s>.<j>``."""
    from mmpretrain.models.backbones import MobileNetV2
    names = [f'layer{stage + 1}.{block}'
             for stage, (_, _, num_blocks, _) in enumerate(
                 MobileNetV2.arch_settings) for block in range(num_blocks)]
    return {i + 1: name for i, name in enumerate(names)}


def _conv_bn(index: str, rest: str) -> str:
    """``Conv2dNormActivation`` children ``0`` (conv) and ``1`` (BN)."""
    return ('conv.' if index == '0' else 'bn.') + rest


def _mobilenet_v2(state_dict: StateDict) -> StateDict:
    blocks = _mobilenet_v2_blocks()
    last = len(blocks) + 1
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('classifier.'):
            continue
        match = re.fullmatch(r'features\.(\d+)\.(\d+)\.(.+)', key)
        if match and int(match[1]) in (0, last):
            stem = 'conv1' if match[1] == '0' else 'conv2'
            out[f'{stem}.{_conv_bn(match[2], match[3])}'] = value
            continue
        match = re.fullmatch(r'features\.(\d+)\.conv\.(\d+)\.(.+)', key)
        if not match or int(match[1]) not in blocks:
            raise _unmapped('mobilenet_v2', key)
        block, layer, rest = blocks[int(match[1])], int(match[2]), match[3]
        inner = re.fullmatch(r'([01])\.(.+)', rest)
        if inner:  # conv.<k> is a Conv2dNormActivation
            name = f'conv.{layer}.{_conv_bn(inner[1], inner[2])}'
        elif rest == 'weight' and value.dim() == 4:  # the linear 1x1 conv
            name = f'conv.{layer}.conv.weight'
        else:  # the BN after it
            name = f'conv.{layer - 1}.bn.{rest}'
        out[f'{block}.{name}'] = value
    return out


_CONVNEXT_BLOCK = {
    'layer_scale': 'gamma',
    'block.0.weight': 'depthwise_conv.weight',
    'block.0.bias': 'depthwise_conv.bias',
    'block.2.weight': 'norm.weight',
    'block.2.bias': 'norm.bias',
    'block.3.weight': 'pointwise_conv1.weight',
    'block.3.bias': 'pointwise_conv1.bias',
    'block.5.weight': 'pointwise_conv2.weight',
    'block.5.bias': 'pointwise_conv2.bias',
}


def _convnext(state_dict: StateDict) -> StateDict:
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('classifier.2.'):
            continue
        if key.startswith('classifier.0.'):
            out['norm3.' + key[len('classifier.0.'):]] = value
            continue
        match = re.fullmatch(r'features\.(\d+)\.(\d+)\.(.+)', key)
        if not match:
            raise _unmapped('convnext', key)
        index, child, rest = int(match[1]), match[2], match[3]
        if index % 2 == 0:  # the stem, then a downsampling layer per stage
            out[f'downsample_layers.{index // 2}.{child}.{rest}'] = value
        elif rest in _CONVNEXT_BLOCK:
            if rest == 'layer_scale':  # (C, 1, 1) -> (C, )
                value = value.flatten()
            out[f'stages.{index // 2}.{child}.{_CONVNEXT_BLOCK[rest]}'] = value
        else:
            raise _unmapped('convnext', key)
    return out


_VIT_TOP = {
    'class_token': 'cls_token',
    'conv_proj.weight': 'patch_embed.projection.weight',
    'conv_proj.bias': 'patch_embed.projection.bias',
    'encoder.pos_embedding': 'pos_embed',
    'encoder.ln.weight': 'ln1.weight',
    'encoder.ln.bias': 'ln1.bias',
}
_VIT_LAYER = {
    'ln_1': 'ln1',
    'ln_2': 'ln2',
    'self_attention.in_proj_weight': 'attn.qkv.weight',
    'self_attention.in_proj_bias': 'attn.qkv.bias',
    'self_attention.out_proj': 'attn.proj',
    'mlp.0': 'ffn.layers.0.0',
    'mlp.3': 'ffn.layers.1',
}


def _vit(state_dict: StateDict) -> StateDict:
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('heads.'):
            continue
        if key in _VIT_TOP:
            out[_VIT_TOP[key]] = value
            continue
        match = re.fullmatch(r'encoder\.layers\.encoder_layer_(\d+)\.(.+)',
                             key)
        name = None
        if match:
            for old, new in _VIT_LAYER.items():
                if match[2] == old or match[2].startswith(old + '.'):
                    name = new + match[2][len(old):]
                    break
        if name is None:
            raise _unmapped('vit', key)
        out[f'layers.{match[1]}.{name}'] = value
    return out


# name: (keys only this architecture has, converter, mmpretrain target)
ARCHITECTURES: Dict[str, Tuple[Tuple[str, ...], Callable[[StateDict],
                                                         StateDict], str]] = {
    'resnet': (('conv1.weight', ), _resnet,
               'ResNet/ResNeXt'),
    'mobilenet_v2': (('features.1.conv.0.0.weight', 'classifier.1.weight'),
                     _mobilenet_v2, 'MobileNetV2'),
    'convnext': (('features.1.0.layer_scale', ), _convnext, 'ConvNeXt'),
    'vit': (('class_token', 'encoder.pos_embedding'), _vit,
            'VisionTransformer'),
}


def supported() -> str:
    """The mapped architectures, as ``'resnet -> ResNet/ResNeXt, ...'``."""
    return ', '.join(f'{name} -> {target}'
                     for name, (_, _, target) in ARCHITECTURES.items())


def torchvision_architecture(state_dict: StateDict) -> Optional[str]:
    """The mapped architecture whose signature keys ``state_dict`` has."""
    for name, (signature, _, _) in ARCHITECTURES.items():
        if all(k in state_dict for k in signature):
            return name
    return None


def convert_torchvision(state_dict: StateDict) -> StateDict:
    """A torchvision classifier's weights as its mmpretrain backbone's.

    Raises:
        CheckpointError: for an architecture or a variant with no mapping,
            listing the supported ones.
    """
    arch = torchvision_architecture(state_dict)
    if arch is None:
        raise CheckpointError(
            f'No mapping from this torchvision architecture (keys like '
            f'{key_examples(list(state_dict))}) to mmpretrain. Supported: '
            f'{supported()}. Any timm model loads into TIMMBackbone with '
            f'format="timm".')
    return ARCHITECTURES[arch][1](state_dict)
