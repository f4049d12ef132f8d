"""Export an SPT training checkpoint as the teacher a student config loads.

    python tools/model_converters/export_teacher.py SPT_CHECKPOINT OUT.pth

Keeps the frozen backbone, the projection head and its momentum copy (the
teacher's key head), drops the queue and optimizer state, and records in
``meta`` which public model the backbone came from.
"""
import argparse

from mmengine.config import Config

from mmdistill.models.algorithms import teacher_state_dict
from mmdistill.utils import (CheckpointError, get_state_dict,
                             load_checkpoint_file, parse_config_literals,
                             save_checkpoint_file)


def public_source(meta: dict) -> str:
    """The backbone's public checkpoint named in the SPT run's config."""
    cfg_text = meta.get('cfg')
    if not cfg_text:
        return 'unknown (the checkpoint carries no config)'
    cfg = Config(parse_config_literals(cfg_text, "meta['cfg']"))
    init_cfg = cfg.model.backbone.get('init_cfg') or {}
    return init_cfg.get('checkpoint', 'unknown (no backbone init_cfg)')


def export_teacher(src: str, dst: str) -> dict:
    checkpoint = load_checkpoint_file(src)
    state = teacher_state_dict(get_state_dict(checkpoint))
    parts = {key.split('.', 1)[0] for key in state}
    if not {'backbone', 'neck'} <= parts:
        raise CheckpointError(
            f'{src} is not an SPT checkpoint: it has no '
            f'{sorted({"backbone", "neck"} - parts)} weights')
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    out = dict(
        state_dict=state,
        meta=dict(
            algorithm='SPT',
            public_model=public_source(meta),
            spt_checkpoint=src,
            epoch=meta.get('epoch'),
            iter=meta.get('iter'),
            key_head='momentum' if 'momentum_neck' in parts else 'query'))
    save_checkpoint_file(out, dst)
    return out['meta']


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='SPT training checkpoint')
    parser.add_argument('dst', help='teacher checkpoint to write')
    args = parser.parse_args()
    print(export_teacher(args.src, args.dst))


if __name__ == '__main__':
    main()
