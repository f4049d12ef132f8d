# Distilled MoCo v2 student on a random-init ConvNeXt-T (a (B, 768) vector:
# mmpretrain's ConvNeXt pools before its final norm), SPT ResNet-50 teacher.
_base_ = './dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(_delete_=True, type='ConvNeXt', arch='tiny'),
    neck=dict(in_channels=768, with_avg_pool=False))
