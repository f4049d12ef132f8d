# SPT teacher on the frozen supervised-ImageNet MobileNetV3-Small (mmpretrain
# zoo); its last (B, 576, 7, 7) feature map is average-pooled by the head.
_base_ = './spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV3',
        arch='small',
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/mobilenet_v3/'
            'mobilenet-v3-small_8xb128_in1k_20221114-bd1bfcde.pth',
            format='mmpretrain')),
    neck=dict(in_channels=576))
