# SPT teacher (paper §2.1): MoCo v2 (head 2048->2048->ReLU->128, K=2048,
# tau=0.2, momentum 0.999) whose backbone is the frozen supervised-ImageNet
# ResNet-50 of torchvision; only the head trains.
_base_ = './mocov2_resnet50.py'

model = dict(
    type='SPT',
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='torchvision://resnet50',
            format='torchvision')))
