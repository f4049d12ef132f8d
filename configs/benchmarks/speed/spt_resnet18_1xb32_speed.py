# Speed comparison: SPT teacher training on a frozen supervised-ImageNet ResNet-18
# (torchvision), head 512->512->128, K=2048 -- same backbone as
# mocov2_resnet18_1xb32_speed.py.
_base_ = [
    '../../_base_/models/spt_resnet50.py',
    '../../_base_/datasets/cholec80_bs32_mocov2.py',
    '../../_base_/schedules/sgd_coslr-200e.py',
    '../../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        depth=18, init_cfg=dict(checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=512, hid_channels=512))
