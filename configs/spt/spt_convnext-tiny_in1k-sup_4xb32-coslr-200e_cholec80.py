# SPT teacher on the frozen supervised-ImageNet ConvNeXt-T (mmpretrain zoo).
# mmpretrain's ConvNeXt pools before its final norm and returns a (B, 768)
# vector, so the MoCo v2 head does not pool.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch='tiny',
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/convnext/'
            'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth',
            format='mmpretrain')),
    neck=dict(in_channels=768, with_avg_pool=False))
