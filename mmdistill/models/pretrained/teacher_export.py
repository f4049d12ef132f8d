"""The exported SPT teacher: its one layout, and the export that writes it.

SPT trains a projection head, and its momentum copy, on a frozen public
backbone. Its training checkpoint also holds the queue, the optimizer state
and the message hub. The export keeps only what a student's
:class:`~mmdistill.models.algorithms.FrozenTeacher` loads:

``state_dict``
    - ``backbone.*``: the frozen public backbone, bit-identical to the
      public weights;
    - ``neck.*``: the projection head, which embeds the teacher's queries;
    - ``momentum_neck.*``: its momentum copy, which embeds the keys, without
      the ``module.`` of the EMA wrapper it was trained in. An SPT run
      without one exports no ``momentum_neck``.

``meta``
    ``algorithm`` (``'SPT'``), ``public_model`` (the backbone's public
    checkpoint), ``spt_checkpoint`` (the exported file), ``epoch`` and
    ``iter`` of the SPT run, ``key_head`` (``'momentum'`` or ``'query'``, the
    ``teacher.key_head`` the export supports).
"""
from typing import Mapping

import torch
from mmengine.config import Config

from mmdistill.utils.checkpoint import (CheckpointError, get_state_dict,
                                        parse_config_literals,
                                        load_checkpoint_file,
                                        save_checkpoint_file)

TEACHER_PARTS = ('backbone', 'neck', 'momentum_neck')
REQUIRED_PARTS = ('backbone', 'neck')
# SPT keeps its momentum head in mmengine's ExponentialMovingAverage: the
# head's weights under ``module.``, and the EMA's step counter, which no
# teacher has.
SPT_MOMENTUM_PREFIX = 'momentum_neck.module.'
EMA_STEPS = 'momentum_neck.steps'


def spt_teacher_weights(
        state_dict: Mapping[str, torch.Tensor]) -> 'dict[str, torch.Tensor]':
    """The exported teacher's weights from an SPT checkpoint's state dict.

    Raises:
        CheckpointError: if ``backbone.*`` or ``neck.*`` weights are missing.
    """
    out = {}
    for key, value in state_dict.items():
        if key == EMA_STEPS:
            continue
        if key.startswith(SPT_MOMENTUM_PREFIX):
            key = 'momentum_neck.' + key[len(SPT_MOMENTUM_PREFIX):]
        if key.split('.', 1)[0] in TEACHER_PARTS:
            out[key] = value
    lacking = [p for p in REQUIRED_PARTS if not any(
        k.startswith(p + '.') for k in out)]
    if lacking:
        raise CheckpointError(
            f'not an SPT checkpoint: it has no {lacking} weights')
    return out


def public_source(meta: dict, src: str = 'the checkpoint') -> str:
    """The backbone's public checkpoint named in the SPT run's config, read
    as literals only (config text in a checkpoint is never executed)."""
    cfg_text = meta.get('cfg')
    if not cfg_text:
        return 'unknown (the checkpoint carries no config)'
    cfg = Config(parse_config_literals(cfg_text, f"{src}: meta['cfg']"))
    init_cfg = cfg.model.backbone.get('init_cfg') or {}
    return init_cfg.get('checkpoint', 'unknown (no backbone init_cfg)')


def export_teacher(src: str, dst: str) -> dict:
    """Write the teacher of the SPT checkpoint ``src`` to ``dst``.

    ``dst`` is written to a temporary name and renamed when complete.

    Returns:
        The export's ``meta``.

    Raises:
        CheckpointError: naming ``src`` if it is no SPT checkpoint.
    """
    checkpoint = load_checkpoint_file(src)
    try:
        state = spt_teacher_weights(get_state_dict(checkpoint))
    except CheckpointError as err:
        raise CheckpointError(f'{src}: {err}') from err
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    has_momentum = any(k.startswith('momentum_neck.') for k in state)
    out_meta = dict(
        algorithm='SPT',
        public_model=public_source(meta, src),
        spt_checkpoint=src,
        epoch=meta.get('epoch'),
        iter=meta.get('iter'),
        key_head='momentum' if has_momentum else 'query')
    save_checkpoint_file(dict(state_dict=state, meta=out_meta), dst)
    return out_meta
