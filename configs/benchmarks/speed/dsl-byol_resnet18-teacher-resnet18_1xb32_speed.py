# Speed comparison: distilled BYOL, random-init ResNet-18 student and the
# frozen SPT ResNet-18 teacher (random weights when the checkpoint is missing).
_base_ = [
    '../../_base_/models/dsl-byol_resnet50.py',
    '../../_base_/datasets/cholec80_bs32_byol.py',
    '../../_base_/schedules/lars_coslr-200e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18, norm_cfg=dict(type='BN')),
    neck=dict(in_channels=512),
    teacher=dict(
        backbone=dict(depth=18),
        neck=dict(in_channels=512, hid_channels=512),
        checkpoint='work_dirs/spt_resnet18_1xb32_speed/teacher.pth'))
