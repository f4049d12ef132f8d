# Speed comparison: distilled MoCo v2, random-init ResNet-18 student and the frozen
# SPT ResNet-18 teacher of spt_resnet18_1xb32_speed.py (exported with
# tools/model_converters/export_teacher.py). train_speed.py gives the teacher
# random weights when this checkpoint is missing: speed does not depend on them.
_base_ = [
    '../../_base_/models/dsl-mocov2_resnet50.py',
    '../../_base_/datasets/cholec80_bs32_mocov2.py',
    '../../_base_/schedules/sgd_coslr-200e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
    teacher=dict(
        backbone=dict(depth=18),
        neck=dict(in_channels=512, hid_channels=512),
        checkpoint='work_dirs/spt_resnet18_1xb32_speed/teacher.pth'))
