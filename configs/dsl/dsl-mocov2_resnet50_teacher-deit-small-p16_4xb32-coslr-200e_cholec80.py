# Distilled MoCo v2 student on a random-init ResNet-50 with the SPT DeiT-Small
# teacher of spt/spt_deit-small-p16_in1k-sup_4xb32-coslr-200e_cholec80.py
# (class-token embedding): a ViT teacher for a ResNet student.
_base_ = './dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'

model = dict(
    teacher=dict(
        _delete_=True,
        backbone=dict(
            type='VisionTransformer',
            arch='deit-small',
            img_size=224,
            patch_size=16,
            out_type='cls_token'),
        neck=dict(
            type='MoCoV2Neck',
            in_channels=384,
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=False),
        checkpoint='work_dirs/spt_deit-small-p16_in1k-sup_4xb32-coslr-200e_'
        'cholec80/teacher.pth',
        key_head='momentum'))
