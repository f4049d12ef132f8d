# Speed baseline: plain MoCo v2, random-init ResNet-18 (MoCo v2 head 512->512->128,
# K=2048), Cholec80 MoCo v2 data pipeline (224 px crops), batch 32. Compared by
# tools/analysis/train_speed.py with the SPT teacher and the distilled student of
# this folder; the CPU model steps run at --image-size 112 (docs/speed.md).
_base_ = [
    '../../_base_/models/mocov2_resnet50.py',
    '../../_base_/datasets/cholec80_bs32_mocov2.py',
    '../../_base_/schedules/sgd_coslr-200e.py',
    '../../_base_/default_runtime.py',
]

# InfoNCE weighted 2 as in the distilled twin.
model = dict(
    head=dict(loss=dict(loss_weight=2.0)),
    backbone=dict(depth=18), neck=dict(in_channels=512, hid_channels=512))
