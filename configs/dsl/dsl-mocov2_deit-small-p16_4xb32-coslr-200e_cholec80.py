# Distilled MoCo v2 student on a random-init ViT-S/16 (DeiT-Small shape),
# class-token embedding, with the SPT ResNet-50 teacher: a ResNet teacher for a
# ViT student.
_base_ = './dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        out_type='cls_token'),
    neck=dict(in_channels=384, with_avg_pool=False))
