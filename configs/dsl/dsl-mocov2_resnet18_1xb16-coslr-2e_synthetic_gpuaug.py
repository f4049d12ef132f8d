# dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py
# with the view augmentations in the model's data preprocessor
# (synthetic_bs8_mocov2_gpuaug.py):
# the dataloader only decodes and crops.
_base_ = [
    '../_base_/models/dsl-mocov2_resnet50.py',
    '../_base_/datasets/synthetic_bs8_mocov2_gpuaug.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(
        _delete_=True, **_base_.data_preprocessor),
    queue_len=256,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
    teacher=dict(
        _delete_=True,
        backbone=dict(
            type='TIMMBackbone',
            model_name='tf_efficientnet_lite0',
            pretrained=False),
        neck=dict(
            type='MoCoV2Neck',
            in_channels=1280,
            hid_channels=1280,
            out_channels=128,
            with_avg_pool=True),
        checkpoint='work_dirs/demo/spt/teacher.pth',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5]))
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2)
]
train_cfg = dict(max_epochs=2)
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=16)
