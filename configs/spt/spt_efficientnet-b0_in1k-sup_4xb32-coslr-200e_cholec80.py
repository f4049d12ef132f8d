# SPT teacher on the frozen supervised-ImageNet EfficientNet-B0 (TensorFlow
# weights converted by mmpretrain); its last (B, 1280, 7, 7) feature map is
# average-pooled by the head.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientNet',
        arch='b0',
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/'
            'efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth',
            format='mmpretrain')),
    neck=dict(in_channels=1280))
