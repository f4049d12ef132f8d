# Demo baseline: the plain twin of
# dsl/dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py, random-init ResNet-18
# MoCo v2 on the synthetic videos. Same InfoNCE weight (2, as the distilled
# student's), data, schedule and seed; no teacher, no distillation loss.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/synthetic_bs8_mocov2.py',
    '../_base_/datasets/synthetic_knn_monitor.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    queue_len=256,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
    head=dict(loss=dict(loss_weight=2.0)))
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2)
]
train_cfg = dict(max_epochs=2)
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=16)
