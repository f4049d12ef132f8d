# Distilled MoCo v2 student on a random-init MobileNetV2 1.0x (last map pooled
# by the head), SPT ResNet-50 teacher.
_base_ = './dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0),
    neck=dict(in_channels=1280))
