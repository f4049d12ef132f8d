# MoCo v2 views of the synthetic demo videos (tools/data/generate_synthetic.py,
# prepared at 1 fps), training split of the 'synthetic' scheme: the base's
# views (mmpretrain's) with 64 px crops for CPU runs and the blur sigma range
# (0.1, 2.0) scaled by 64 / 224 like the crop.
_base_ = './cholec80_bs32_mocov2.py'

data_root = 'data/synthetic'
view_pipeline = [
    dict(step, scale=64) if step.type == 'RandomResizedCrop' else
    dict(step, magnitude_range=(0.03, 0.57)) if step.type == 'GaussianBlur'
    else step for step in _base_.view_pipeline
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root, split_scheme='synthetic',
        pipeline=train_pipeline))
