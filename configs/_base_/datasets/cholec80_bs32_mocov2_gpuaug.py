# The MoCo v2 views of cholec80_bs32_mocov2.py split between the dataloader
# and the model: workers only decode, crop and resize (cv2, the same
# RandomResizedCrop parameter draws) and deliver uint8 views; the model's
# SSLViewAugPreprocessor applies colour jitter, grayscale, blur and flip,
# batched, on the device. Top-level configs set
#   model = dict(data_preprocessor=dict(_delete_=True,
#                                       **_base_.data_preprocessor))
_base_ = './cholec80_bs32_mocov2.py'

crop_size = 224
mocov2_view = dict(
    color_jitter=dict(
        brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
    grayscale_prob=0.2,
    blur=dict(sigma=(0.1, 2.0), prob=0.5),
    flip_prob=0.5)
data_preprocessor = dict(
    _delete_=True,
    type='SSLViewAugPreprocessor',
    views=mocov2_view,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadFrame'),
    dict(
        type='MultiView',
        num_views=2,
        transforms=[[
            dict(
                type='RandomResizedCrop',
                scale=crop_size,
                crop_ratio_range=(0.2, 1.),
                backend='cv2')
        ]]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    pin_memory=True, dataset=dict(pipeline=train_pipeline))
