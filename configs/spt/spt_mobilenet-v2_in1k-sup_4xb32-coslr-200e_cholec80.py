# SPT teacher on the frozen supervised-ImageNet MobileNetV2 1.0x (mmpretrain
# zoo); its last (B, 1280, 7, 7) feature map is average-pooled by the head.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.0,
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/mobilenet_v2/'
            'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth',
            format='mmpretrain')),
    neck=dict(in_channels=1280))
