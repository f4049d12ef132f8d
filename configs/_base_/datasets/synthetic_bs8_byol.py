# BYOL's two asymmetric views of the synthetic demo videos, training split of
# the 'synthetic' scheme: the base's views (mmpretrain's) with 64 px crops and
# the blur sigma range (0.1, 2.0) scaled by 64 / 224.
_base_ = './cholec80_bs32_byol.py'

data_root = 'data/synthetic'
view_pipeline1 = [
    dict(step, scale=64) if step.type == 'RandomResizedCrop' else
    dict(step, magnitude_range=(0.03, 0.57)) if step.type == 'GaussianBlur'
    else step for step in _base_.view_pipeline1
]
view_pipeline2 = [
    dict(step, scale=64) if step.type == 'RandomResizedCrop' else
    dict(step, magnitude_range=(0.03, 0.57)) if step.type == 'GaussianBlur'
    else step for step in _base_.view_pipeline2
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root, split_scheme='synthetic',
        pipeline=train_pipeline))
