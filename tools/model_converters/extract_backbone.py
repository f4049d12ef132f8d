"""Keep only the backbone of a checkpoint, for downstream fine-tuning.

    python tools/model_converters/extract_backbone.py CHECKPOINT OUT.pth

The output's keys keep the ``backbone.`` prefix, so mmpretrain and mmaction2
configs load it with
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``
(or as ``load_from`` of a classifier).
"""
import argparse

from mmdistill.utils import (CheckpointError, get_state_dict,
                             load_checkpoint_file, save_checkpoint_file)


def extract_backbone(src: str, dst: str) -> int:
    checkpoint = load_checkpoint_file(src)
    state = {
        k: v
        for k, v in get_state_dict(checkpoint).items()
        if k.startswith('backbone.')
    }
    if not state:
        raise CheckpointError(f'{src} has no backbone.* weights')
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    save_checkpoint_file(
        dict(state_dict=state, meta=dict(source=src, epoch=meta.get('epoch'))),
        dst)
    return len(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='student (or any mmpretrain) checkpoint')
    parser.add_argument('dst', help='backbone-only checkpoint to write')
    args = parser.parse_args()
    print(f'wrote {extract_backbone(args.src, args.dst)} backbone tensors '
          f'to {args.dst}')


if __name__ == '__main__':
    main()
