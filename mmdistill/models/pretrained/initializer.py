"""``init_cfg`` initializer that loads public checkpoints into any module.

Use it as mmdistill's ``Pretrained``::

    backbone=dict(
        type='ResNet', depth=50,
        init_cfg=dict(type='Pretrained', _scope_='mmdistill',
                      checkpoint='torchvision://resnet50'))

It extends mmengine's ``PretrainedInit`` (``type='Pretrained'``) with the
public layouts of :mod:`.formats` and a check that the checkpoint fits. The
name must be ``'Pretrained'``: mmengine's ``BaseModule.init_weights`` applies
an initializer of that type *after* the children's own ``init_weights``, and
mmpretrain backbones skip their post-initialisation (ResNet's
``zero_init_residual``, ViT's ``pos_embed`` and FFN init, ...) only when
``init_cfg['type'] == 'Pretrained'``. Under any other name those steps
silently overwrite part of the loaded weights (all 16 residual-branch BN
tensors of a ResNet-18). ``_scope_='mmdistill'`` builds this class from
mmdistill's initializer registry instead of mmengine's.
"""
import logging
from dataclasses import dataclass
from typing import List, Mapping, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmengine.registry import Registry
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_INITIALIZERS
from torch import nn

from mmdistill.utils.checkpoint import (CheckpointError, get_state_dict,
                                        load_checkpoint_file)
from .formats import (convert_state_dict, detect_format, key_examples,
                      strip_ddp_prefix)

WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_INITIALIZERS, scope='mmdistill')


def _is_weight(key: str) -> bool:
    """BN's ``num_batches_tracked`` counts steps; it is no weight to match
    (torchvision's ImageNet ResNet checkpoints do not even store it)."""
    return not key.endswith('num_batches_tracked')


@dataclass
class KeyMatch:
    """How a converted state dict fits a module's state dict."""
    filled: List[str]
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, torch.Size, torch.Size]]
    total: int

    @property
    def fraction(self) -> float:
        """Share of the module's weights that the checkpoint fills."""
        return len(self.filled) / max(self.total, 1)


def match_state_dict(source: Mapping[str, torch.Tensor],
                     target: Mapping[str, torch.Tensor]) -> KeyMatch:
    """Compare keys and shapes of ``source`` against ``target``."""
    weights = [k for k in target if _is_weight(k)]
    mismatched = [(k, source[k].shape, target[k].shape) for k in weights
                  if k in source and source[k].shape != target[k].shape]
    bad = {k for k, _, _ in mismatched}
    return KeyMatch(
        filled=[k for k in weights if k in source and k not in bad],
        missing=[k for k in weights if k not in source],
        unexpected=[k for k in source if k not in target],
        mismatched=mismatched,
        total=len(weights))


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PublicPretrainedInit:
    """Load a public checkpoint into a module, converting its layout.

    Loads through :func:`mmdistill.utils.checkpoint.load_checkpoint_file`
    (local paths and mmengine's schemes: ``torchvision://``,
    ``open-mmlab://``, ``https://``, plus ``efficientnet-lite0://imagenet``),
    converts with :func:`.formats.convert_state_dict` and loads with
    ``strict=False``, logging missing and unexpected keys. Unlike mmengine's
    ``PretrainedInit``, which only warns, it refuses a checkpoint that does
    not fit.

    Args:
        checkpoint: Path or URL of the checkpoint.
        format: Its layout, one of :data:`.formats.FORMATS`, or ``'auto'``
            to detect it from the keys (and the module's keys).
        part: The model part the module is, e.g. ``'backbone'``, ``'neck'``.
        min_match: Least share of the module's weights (parameters and
            buffers, without BN step counters) the checkpoint must fill.
        map_location: Passed to ``torch.load``.

    Raises:
        CheckpointError: naming the file, the format, the share filled and
            example missing/unexpected keys, when any shape mismatches or
            less than ``min_match`` of the weights would be filled.
    """

    def __init__(self,
                 checkpoint: str,
                 format: str = 'auto',
                 part: str = 'backbone',
                 min_match: float = 0.9,
                 map_location: Union[str, torch.device] = 'cpu') -> None:
        self.checkpoint = checkpoint
        self.format = format
        self.part = part
        self.min_match = min_match
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        print_log(f'load {self.part} from {self.checkpoint}', 'current')
        target = module.state_dict()
        try:
            state_dict = strip_ddp_prefix(
                get_state_dict(
                    load_checkpoint_file(self.checkpoint, self.map_location)))
            fmt = (
                detect_format(state_dict, target)
                if self.format == 'auto' else self.format)
            weights = convert_state_dict(state_dict, fmt, self.part)
        except CheckpointError as err:
            raise CheckpointError(f'{self.checkpoint}: {err}') from err
        match = match_state_dict(weights, target)
        if match.mismatched or match.fraction < self.min_match:
            raise CheckpointError(self._refusal(module, fmt, match))
        module.load_state_dict(weights, strict=False)
        for name, keys in (('missing', match.missing),
                           ('unexpected', match.unexpected)):
            if keys:
                print_log(
                    f'{self.checkpoint}: {len(keys)} {name} keys: '
                    f'{key_examples(keys)}', 'current', logging.WARNING)
        if hasattr(module, '_params_init_info'):
            update_init_info(
                module,
                init_info=f'{type(self).__name__}: load {self.part} '
                f'({fmt}) from {self.checkpoint}')

    def _refusal(self, module: nn.Module, fmt: str, match: KeyMatch) -> str:
        lines = [
            f'Checkpoint {self.checkpoint!r} (format {fmt!r}, part '
            f'{self.part!r}) does not fit {type(module).__name__}: it fills '
            f'{len(match.filled)}/{match.total} of its weights '
            f'({match.fraction:.1%}; min_match={self.min_match:.0%}).'
        ]
        if match.mismatched:
            lines.append(f'{len(match.mismatched)} shape mismatches, e.g. ' +
                         ', '.join(f'{k!r}: checkpoint {tuple(a)} vs model '
                                   f'{tuple(b)}'
                                   for k, a, b in match.mismatched[:3]))
        if match.missing:
            lines.append(f'Missing in the checkpoint: '
                         f'{key_examples(match.missing)}.')
        if match.unexpected:
            lines.append(f'Unexpected in the checkpoint: '
                         f'{key_examples(match.unexpected)}.')
        lines.append('Check that the checkpoint is for this architecture '
                     '(e.g. ResNet depth), and set format=/part= if the '
                     'detected format is wrong.')
        return '\n'.join(lines)
