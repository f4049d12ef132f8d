# Speed baseline: plain BYOL, random-init ResNet-18, batch 32 (compared with
# dsl-byol_resnet18-teacher-resnet18_1xb32_speed.py; CPU steps at 112 px).
_base_ = [
    '../../_base_/models/byol_resnet50.py',
    '../../_base_/datasets/cholec80_bs32_byol.py',
    '../../_base_/schedules/lars_coslr-200e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512))
