# The two asymmetric BYOL views of cholec80_bs32_byol.py with the colour work
# on the device (see cholec80_bs32_mocov2_gpuaug.py): the first view always
# blurred, the second rarely blurred and sometimes solarised.
_base_ = './cholec80_bs32_mocov2_gpuaug.py'

byol_jitter = dict(
    brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1, prob=0.8)
data_preprocessor = dict(views=[
    dict(
        color_jitter=byol_jitter,
        grayscale_prob=0.2,
        blur=dict(sigma=(0.1, 2.0), prob=1.),
        solarize=dict(prob=0., threshold=128),
        flip_prob=0.5),
    dict(
        color_jitter=byol_jitter,
        grayscale_prob=0.2,
        blur=dict(sigma=(0.1, 2.0), prob=0.1),
        solarize=dict(prob=0.2, threshold=128),
        flip_prob=0.5),
])

byol_crop = dict(
    type='RandomResizedCrop', scale=224, interpolation='bicubic',
    backend='cv2')
train_pipeline = [
    dict(type='LoadFrame'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[[byol_crop], [byol_crop]]),
    dict(type='PackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
