# Unlabelled 1 fps frames of Cholec80 training videos 1-40 with the SimCLR
# views of mmpretrain's imagenet_bs32_simclr.py: view_pipeline and
# train_pipeline are copies of mmpretrain 1.2.0's
# 'mmpretrain::_base_/datasets/imagenet_bs32_simclr.py' (see
# cholec80_bs32_mocov2.py for why they are not inherited). The dataloader is
# the MoCo v2 one (8 workers, drop_last), not that file's (4 workers).
_base_ = './cholec80_bs32_mocov2.py'

view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.8,
                contrast=0.8,
                saturation=0.8,
                hue=0.2)
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
]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
