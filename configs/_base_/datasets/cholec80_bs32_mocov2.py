# Unlabelled 1 fps frames of Cholec80 training videos 1-40 (250x250, margin
# cut) with the MoCo v2 views of mmpretrain's imagenet_bs32_mocov2.py: the
# augmentations of the paper's teacher (SPT) and student (DSL) training.
# view_pipeline, train_pipeline, data_preprocessor and the dataloader settings
# are copies of mmpretrain 1.2.0's
# 'mmpretrain::_base_/datasets/imagenet_bs32_mocov2.py' (checked equal by
# tests/configs/test_views_match_mmpretrain.py). They are copied, not
# inherited: a 'mmpretrain::' base tags every dict of it with
# _scope_='mmpretrain', which changes the resolved configs.
dataset_type = 'SurgicalFrames'
data_root = 'data/cholec80'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        videos='train',
        split_scheme='cholec80_40_8_32',
        fps=1,
        pipeline=train_pipeline))
