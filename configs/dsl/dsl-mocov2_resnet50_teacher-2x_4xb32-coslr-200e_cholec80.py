# Distilled MoCo v2 student (random-init ResNet-50) with two frozen teachers
# (not in the paper): the SPT ResNet-50 export of
# spt/spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py (ImageNet-supervised
# backbone, 128-d SPT head) and the public ImageNet MoCo v2 ResNet-50 (SSL,
# official release) as it is, its pooled 2048-d features without a head.
# The KL term is 5 * (0.5 * KL_spt + 0.5 * KL_mocov2): the single-teacher scale.
_base_ = './dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'

model = dict(
    teacher=None,
    teachers=[
        dict(
            backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN')),
            neck=dict(
                type='MoCoV2Neck',
                in_channels=2048,
                hid_channels=2048,
                out_channels=128,
                with_avg_pool=True),
            checkpoint='work_dirs/spt_resnet50_in1k-sup_4xb32-coslr-200e_'
            'cholec80/teacher.pth',
            key_head='momentum',
            weight=0.5),
        dict(
            backbone=dict(
                type='ResNet',
                depth=50,
                norm_cfg=dict(type='BN'),
                init_cfg=dict(
                    type='Pretrained',
                    _scope_='mmdistill',
                    checkpoint='https://dl.fbaipublicfiles.com/moco/'
                    'moco_checkpoints/moco_v2_800ep/'
                    'moco_v2_800ep_pretrain.pth.tar',
                    format='mocov2')),
            weight=0.5),
    ])
