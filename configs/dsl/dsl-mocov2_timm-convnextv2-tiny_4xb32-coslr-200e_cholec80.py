# Distilled MoCo v2 student on any timm model through TIMMBackbone, here a
# random-init ConvNeXt-V2-T (last map pooled by the head), SPT ResNet-50
# teacher.
_base_ = './dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='TIMMBackbone',
        model_name='convnextv2_tiny',
        pretrained=False),
    neck=dict(in_channels=768))
