# The paper's SSL schedule: SGD lr 0.01 at batch 128, wd 1e-4, cosine, 200 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, weight_decay=1e-4, momentum=0.9))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=200, by_epoch=True, begin=0, end=200)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200)
# `tools/train.py --auto-scale-lr` scales lr linearly from this batch size.
auto_scale_lr = dict(base_batch_size=128)
