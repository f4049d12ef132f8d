# Variant: the public ImageNet MoCo v2 ResNet-50 (official release,
# moco_v2_800ep_pretrain.pth.tar, keys `module.encoder_q.*`) as the frozen backbone.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            checkpoint='https://dl.fbaipublicfiles.com/moco/'
            'moco_checkpoints/moco_v2_800ep/moco_v2_800ep_pretrain.pth.tar',
            format='mocov2')))
