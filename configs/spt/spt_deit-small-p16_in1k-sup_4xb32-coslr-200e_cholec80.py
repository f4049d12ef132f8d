# SPT teacher on the frozen supervised-ImageNet DeiT-Small (ViT-S/16, mmpretrain
# zoo). Embedding: the class token (out_type='cls_token', a (B, 384) vector),
# so the MoCo v2 head does not pool.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        out_type='cls_token',
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/deit/'
            'deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth',
            format='mmpretrain')),
    neck=dict(in_channels=384, with_avg_pool=False))
