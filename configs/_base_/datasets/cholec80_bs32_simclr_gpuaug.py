# The SimCLR views of cholec80_bs32_simclr.py with the colour work on the
# device (see cholec80_bs32_mocov2_gpuaug.py).
_base_ = './cholec80_bs32_mocov2_gpuaug.py'

simclr_view = dict(
    color_jitter=dict(
        brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8),
    grayscale_prob=0.2,
    blur=dict(sigma=(0.1, 2.0), prob=0.5),
    flip_prob=0.5)
data_preprocessor = dict(views=simclr_view)

train_pipeline = [
    dict(type='LoadFrame'),
    dict(
        type='MultiView',
        num_views=2,
        transforms=[[
            dict(type='RandomResizedCrop', scale=224, backend='cv2')
        ]]),
    dict(type='PackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
