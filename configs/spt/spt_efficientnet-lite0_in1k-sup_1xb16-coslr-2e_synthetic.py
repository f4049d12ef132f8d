# Demo teacher: frozen ImageNet EfficientNet-Lite0 (offline public weights),
# MoCo v2 head trained for 2 epochs on the synthetic surgical videos, on CPU.
_base_ = [
    '../_base_/models/spt_efficientnet-lite0.py',
    '../_base_/datasets/synthetic_bs8_mocov2.py',
    '../_base_/datasets/synthetic_knn_monitor.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

# The dataset base's top-level preprocessor, made the model's own (mean = std
# = 127.5), so the merged config has one normalisation.
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
model = dict(queue_len=256)
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2)
]
train_cfg = dict(max_epochs=2)
default_hooks = dict(
    logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=16)
