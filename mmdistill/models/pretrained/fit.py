"""Does a checkpoint fit a module? One exact-fit check for every load.

A frozen backbone that is partly random, or a deeper checkpoint silently
truncated to a shallower model, stays wrong for the whole training and no
loss shows it. So a load is exact by default: every weight of the module is
filled with a tensor of the same shape, and no tensor of the checkpoint is
left over. Keys a published layout carries that the target never has (a
classifier ``fc``, a MoCo queue) are dropped by name before this check, by
the format converters in :mod:`.formats` and by the teacher's key selection.

mmengine's ``load_checkpoint`` and mmpretrain's ``Pretrained`` only log
missing and unexpected keys; here a misfit is refused with the first
differing keys and the likely cause, and a partial load must be asked for
(``allow_partial=True``), which logs every tensor that stays random.
"""
import logging
import re
from dataclasses import dataclass
from typing import Collection, Iterable, List, Mapping, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from mmdistill.utils.checkpoint import CheckpointError

StateDict = Mapping[str, torch.Tensor]
_PER_OUTPUT_NORM = re.compile(r'^(norm|ln)\d+\.')


def key_examples(keys: Sequence[str], count: int = 5) -> str:
    """The first ``count`` keys, quoted, and how many there are in all."""
    keys = list(keys)
    more = f', ... ({len(keys)} in all)' if len(keys) > count else ''
    return ', '.join(repr(k) for k in keys[:count]) + more


def is_weight(key: str) -> bool:
    """BN's ``num_batches_tracked`` counts steps; it is no weight to fill
    (torchvision's ImageNet ResNet checkpoints do not even store it)."""
    return not key.endswith('num_batches_tracked')


@dataclass
class KeyMatch:
    """How a state dict fits a module's state dict.

    Attributes:
        filled: The module's weights the source fills (same key and shape).
        missing: The module's weights the source lacks.
        unexpected: Source keys the module does not have.
        mismatched: ``(key, source shape, module shape)`` of shared keys
            whose shapes differ.
        total: Number of the module's weights (BN step counters excluded).
    """
    filled: List[str]
    missing: List[str]
    unexpected: List[str]
    mismatched: List[Tuple[str, torch.Size, torch.Size]]
    total: int

    @property
    def exact(self) -> bool:
        """Every weight filled and nothing left over."""
        return not (self.missing or self.unexpected or self.mismatched)


def match_state_dict(source: StateDict, target: StateDict) -> KeyMatch:
    """Compare keys and shapes of ``source`` against ``target``."""
    weights = [k for k in target if is_weight(k)]
    mismatched = [(k, source[k].shape, target[k].shape) for k in weights
                  if k in source and source[k].shape != target[k].shape]
    bad = {k for k, _, _ in mismatched}
    return KeyMatch(
        filled=[k for k in weights if k in source and k not in bad],
        missing=[k for k in weights if k not in source],
        unexpected=[k for k in source if k not in target],
        mismatched=mismatched,
        total=len(weights))


def _extra_blocks(keys: Iterable[str], other: Collection[str]) -> List[str]:
    """Indexed children (``layer3.5``, ``layers.11``) that ``keys`` reach
    but ``other`` does not, inside containers ``other`` has."""
    prefixes = set()
    for key in other:
        parts = key.split('.')
        prefixes.update('.'.join(parts[:i]) for i in range(1, len(parts)))
    blocks = []
    for key in keys:
        parts = key.split('.')
        for i in range(1, len(parts) - 1):
            block = '.'.join(parts[:i + 1])
            if (parts[i].isdigit() and '.'.join(parts[:i]) in prefixes
                    and block not in prefixes):
                if block not in blocks:
                    blocks.append(block)
                break
    return blocks


def likely_causes(match: KeyMatch, source: Collection[str],
                  target: Collection[str]) -> List[str]:
    """Plain-language guesses at why ``source`` does not fit ``target``."""
    missing, unexpected = set(match.missing), set(match.unexpected)
    causes = []
    if 'conv1.weight' in unexpected and any(
            k.startswith('stem.') for k in missing):
        causes.append(
            'the checkpoint has a plain ResNet stem (one 7x7 conv1/bn1) and '
            'the model a deep stem (stem.*, the ResNetV1c/ResNetV1d variant): '
            "use type='ResNet', or a checkpoint of the V1c/V1d variant")
    if 'conv1.weight' in missing and any(
            k.startswith('stem.') for k in unexpected):
        causes.append(
            'the checkpoint has a deep stem (stem.*, ResNetV1c/ResNetV1d) and '
            "the model a plain one: use type='ResNetV1c' or 'ResNetV1d'")
    if any('.downsample.2.' in k for k in missing | unexpected):
        causes.append(
            'the shortcut downsampling differs: ResNetV1d average-pools '
            'before its 1x1 conv (downsample.1/.2), ResNet and ResNetV1c '
            'stride the conv (downsample.0/.1)')
    if any('.conv3.' in k for k in missing | unexpected):
        causes.append(
            'one side has bottleneck blocks (conv3: ResNet-50/101/152), the '
            'other basic blocks (ResNet-18/34): check depth')
    deeper = _extra_blocks(match.unexpected, target)
    if deeper:
        causes.append(
            f'the checkpoint has blocks the model lacks '
            f'({key_examples(deeper, 3)}): it is deeper; set the depth '
            f'(depth, arch, num_layers) to the checkpoint\'s')
    shallower = _extra_blocks(match.missing, source)
    if shallower:
        causes.append(
            f'the model has blocks the checkpoint lacks '
            f'({key_examples(shallower, 3)}): the checkpoint is shallower; '
            f'set the depth (depth, arch, num_layers) to the checkpoint\'s')
    if any(_PER_OUTPUT_NORM.match(k) for k in missing | unexpected):
        causes.append(
            'the per-output norm layers (norm<i>/ln<i>) differ: set '
            'out_indices (or out_type/final_norm) as in the checkpoint\'s '
            'model')
    if match.mismatched and not causes:
        causes.append('the widths differ (widen_factor, arch, channels)')
    return causes


def _frozen(module: nn.Module, keys: Collection[str]) -> List[str]:
    return [
        name for name, param in module.named_parameters()
        if name in keys and not param.requires_grad
    ]


def misfit_message(match: KeyMatch, source: Collection[str],
                   module: nn.Module, what: str) -> str:
    """The lines that say how ``source`` misses ``module``'s weights."""
    lines = [f'{what} does not fit {type(module).__name__}.']
    if match.missing:
        lines.append(f'It lacks {len(match.missing)} of its {match.total} '
                     f'weights, e.g. {key_examples(match.missing)}.')
        frozen = _frozen(module, match.missing)
        if frozen:
            lines.append(
                f'{len(frozen)} of them are frozen (frozen_stages or a '
                f'frozen teacher), so no training would ever fix them.')
    if match.unexpected:
        lines.append(f'It has {len(match.unexpected)} unexpected tensors, '
                     f'e.g. {key_examples(match.unexpected)}.')
    if match.mismatched:
        lines.append(f'{len(match.mismatched)} shape mismatches, e.g. ' +
                     ', '.join(f'{k!r}: checkpoint {tuple(a)} vs model '
                               f'{tuple(b)}'
                               for k, a, b in match.mismatched[:3]) + '.')
    causes = likely_causes(match, source, module.state_dict())
    if causes:
        lines.append('Likely cause: ' + '; '.join(causes) + '.')
    return '\n'.join(lines)


def load_exact(module: nn.Module,
               state_dict: StateDict,
               what: str,
               allow_partial: bool = False,
               fix: str = '') -> KeyMatch:
    """Load ``state_dict`` into ``module`` if it fits exactly.

    Args:
        module: The module to fill.
        state_dict: Its weights, keyed as ``module.state_dict()``, with the
            keys a format carries that the module never has already dropped.
        what: Names the source in messages, e.g. ``"Checkpoint 'x.pth'"``.
        allow_partial: Load the tensors that fit and log, by name, every
            weight that stays random and every checkpoint tensor left over,
            instead of refusing. Shape mismatches and a source that fills
            nothing are refused even so.
        fix: Advice appended to the refusal, e.g. the opt-out's name.

    Returns:
        The :class:`KeyMatch` of the load.

    Raises:
        CheckpointError: naming the first differing keys and the likely
            cause, when the load is not exact (or, with ``allow_partial``,
            mismatches in shape or fills nothing).
    """
    match = match_state_dict(state_dict, module.state_dict())
    refuse = not match.exact
    if allow_partial:
        refuse = bool(match.mismatched) or not match.filled
    if refuse:
        message = misfit_message(match, list(state_dict), module, what)
        raise CheckpointError(message + (f'\n{fix}' if fix else ''))
    # BN step counters are loaded where the source has them, not required.
    counters = [k for k in module.state_dict()
                if not is_weight(k) and k in state_dict]
    module.load_state_dict(
        {k: state_dict[k] for k in (*match.filled, *counters)}, strict=False)
    if match.missing:
        print_log(
            f'{what}: partial load into {type(module).__name__}; these '
            f'{len(match.missing)} tensors stay random: '
            f'{", ".join(match.missing)}', 'current', logging.WARNING)
    if match.unexpected:
        print_log(
            f'{what}: partial load; these {len(match.unexpected)} checkpoint '
            f'tensors are not used: {", ".join(match.unexpected)}', 'current',
            logging.WARNING)
    return match
