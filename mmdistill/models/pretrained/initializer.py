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
from typing import Union

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmengine.registry import Registry
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_INITIALIZERS
from torch import nn

from mmdistill.utils.checkpoint import (CheckpointError, get_state_dict,
                                        load_checkpoint_file)
from .fit import load_exact
from .formats import convert_state_dict, detect_format, strip_ddp_prefix

WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_INITIALIZERS, scope='mmdistill')


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class PublicPretrainedInit:
    """Load a public checkpoint into a module, converting its layout.

    Loads through :func:`mmdistill.utils.checkpoint.load_checkpoint_file`
    (local paths and mmengine's schemes: ``torchvision://``,
    ``open-mmlab://``, ``https://``, plus ``efficientnet-lite0://imagenet``
    and ``efficientnet-lite2://imagenet``),
    converts with :func:`.formats.convert_state_dict` (which drops, by name,
    what a format carries that the module never has, such as a classifier)
    and loads with :func:`.fit.load_exact`. Unlike mmengine's
    ``PretrainedInit``, which only logs missing and unexpected keys, the load
    is exact: a checkpoint that leaves any weight of the module random, or
    holds tensors the module has no place for (a deeper network, another
    stem variant, other ``out_indices``), is refused with the first differing
    keys and the likely cause.

    Args:
        checkpoint: Path or URL of the checkpoint.
        format: Its layout, one of :data:`.formats.FORMATS`, or ``'auto'``
            to detect it from the keys (and the module's keys).
        part: The model part the module is, e.g. ``'backbone'``, ``'neck'``.
        allow_partial: Opt out of the exact fit, e.g. to start a wider head
            from a checkpoint's trunk: load what fits and log, by name, every
            tensor that stays random and every checkpoint tensor not used.
            Shape mismatches are refused even so.
        map_location: Passed to ``torch.load``.

    Raises:
        CheckpointError: naming the file, the format, the first differing
            keys and the likely cause, when the checkpoint does not fit.
    """

    def __init__(self,
                 checkpoint: str,
                 format: str = 'auto',
                 part: str = 'backbone',
                 allow_partial: bool = False,
                 map_location: Union[str, torch.device] = 'cpu') -> None:
        self.checkpoint = checkpoint
        self.format = format
        self.part = part
        self.allow_partial = allow_partial
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        print_log(f'load {self.part} from {self.checkpoint}', 'current')
        try:
            state_dict = strip_ddp_prefix(
                get_state_dict(
                    load_checkpoint_file(self.checkpoint, self.map_location)))
            fmt = (
                detect_format(state_dict, module.state_dict())
                if self.format == 'auto' else self.format)
            weights = convert_state_dict(state_dict, fmt, self.part)
        except CheckpointError as err:
            raise CheckpointError(f'{self.checkpoint}: {err}') from err
        load_exact(
            module,
            weights,
            f'Checkpoint {self.checkpoint!r} (format {fmt!r}, part '
            f'{self.part!r})',
            allow_partial=self.allow_partial,
            fix='If the detected format is wrong, set format=/part=. To load '
            'only the tensors that fit and leave the rest random, set '
            'allow_partial=True in the init_cfg.')
        if hasattr(module, '_params_init_info'):
            update_init_info(
                module,
                init_info=f'{type(self).__name__}: load {self.part} '
                f'({fmt}) from {self.checkpoint}')
