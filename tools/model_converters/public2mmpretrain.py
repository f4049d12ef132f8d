"""Convert a public checkpoint to an mmpretrain checkpoint.

Reads torchvision (ResNet/ResNeXt, MobileNetV2, ConvNeXt, ViT), official
MoCo v1/v2, timm, EfficientNet-Lite0-package and mmpretrain checkpoints
(local paths or any scheme of
:func:`mmdistill.utils.checkpoint.load_checkpoint_file`) and writes
``{'state_dict': {'backbone.<k>': ..., 'neck.<k>': ...},
'meta': {'source': SRC, 'format': FORMAT}}``, which mmengine's
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``
loads. An architecture with no mapping is refused with the list of mapped
ones. The output is written to a temporary name and renamed when complete.
The conversion is :func:`mmdistill.models.pretrained.convert_checkpoint`.

Example::

    python tools/model_converters/public2mmpretrain.py \\
        moco_v2_800ep_pretrain.pth.tar mocov2_r50_in1k.pth --format mocov2
"""
import argparse
from typing import List, Optional

from mmdistill.models.pretrained import FORMATS, convert_checkpoint
from mmdistill.utils.checkpoint import CheckpointError, save_checkpoint_file


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


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        checkpoint = convert_checkpoint(args.src, args.format, args.part)
    except CheckpointError as err:
        raise SystemExit(str(err)) from err
    save_checkpoint_file(checkpoint, args.dst)
    print(f'{args.src} ({checkpoint["meta"]["format"]}) -> {args.dst}: '
          f'{len(checkpoint["state_dict"])} tensors')


if __name__ == '__main__':
    main()
