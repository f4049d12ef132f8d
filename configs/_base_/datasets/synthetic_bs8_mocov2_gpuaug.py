# synthetic_bs8_mocov2.py's 64 px MoCo v2 views (blur sigma scaled by
# 64 / 224) with the colour work in the model's data preprocessor (see
# cholec80_bs32_mocov2_gpuaug.py).
_base_ = './cholec80_bs32_mocov2_gpuaug.py'

data_root = 'data/synthetic'
data_preprocessor = dict(views=dict(blur=dict(sigma=(0.03, 0.57))))
train_pipeline = [
    dict(type='LoadFrame'),
    dict(
        type='MultiView',
        num_views=2,
        transforms=[[
            dict(
                type='RandomResizedCrop',
                scale=64,
                crop_ratio_range=(0.2, 1.),
                backend='cv2')
        ]]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root, split_scheme='synthetic',
        pipeline=train_pipeline))
