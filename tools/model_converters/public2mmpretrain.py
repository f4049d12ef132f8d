"""Convert a public checkpoint to an mmpretrain checkpoint.

Reads torchvision, official MoCo v1/v2, timm, EfficientNet-Lite0-package and
mmpretrain checkpoints (local paths or any scheme of
:func:`mmdistill.utils.checkpoint.load_checkpoint_file`) and writes
``{'state_dict': {'backbone.<k>': ..., 'neck.<k>': ...},
'meta': {'source': SRC, 'format': FORMAT}}``, which mmengine's
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``
loads. The output is written to a temporary name and renamed when complete.

Example::

    python tools/model_converters/public2mmpretrain.py \\
        moco_v2_800ep_pretrain.pth.tar mocov2_r50_in1k.pth --format mocov2
"""
import argparse
import os
import os.path as osp
from collections import OrderedDict
from typing import List, Optional

import torch

from mmdistill.models.pretrained import (FORMATS, convert_state_dict,
                                         detect_format, source_parts,
                                         strip_ddp_prefix)
from mmdistill.utils.checkpoint import (CheckpointError, get_state_dict,
                                        load_checkpoint_file)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint path or URL')
    parser.add_argument('dst', help='output .pth path')
    parser.add_argument(
        '--format',
        default='auto',
        choices=FORMATS + ('auto', ),
        help='layout of SRC (default: detect from its keys)')
    parser.add_argument(
        '--part',
        action='append',
        help='model part to convert, repeatable (default: every part SRC '
        'holds, e.g. backbone and neck for MoCo v2)')
    return parser.parse_args(argv)


def convert(src: str, fmt: str = 'auto',
            parts: Optional[List[str]] = None) -> dict:
    """Load ``src`` and return the mmpretrain checkpoint dict."""
    state_dict = strip_ddp_prefix(get_state_dict(load_checkpoint_file(src)))
    if fmt == 'auto':
        fmt = detect_format(state_dict)
    out = OrderedDict()
    for part in parts or source_parts(state_dict, fmt):
        for key, value in convert_state_dict(state_dict, fmt, part).items():
            out[f'{part}.{key}'] = value
    return dict(state_dict=out, meta=dict(source=src, format=fmt))


def save_atomic(checkpoint: dict, dst: str) -> None:
    """``torch.save`` to a temporary name in ``dst``'s folder, then rename."""
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = f'{dst}.tmp-{os.getpid()}'
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        checkpoint = convert(args.src, args.format, args.part)
    except CheckpointError as err:
        raise SystemExit(f'{args.src}: {err}') from err
    save_atomic(checkpoint, args.dst)
    print(f'{args.src} ({checkpoint["meta"]["format"]}) -> {args.dst}: '
          f'{len(checkpoint["state_dict"])} tensors')


if __name__ == '__main__':
    main()
