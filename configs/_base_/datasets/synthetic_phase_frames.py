# Labelled 1 fps frames of the synthetic demo videos, 'synthetic' split scheme
# (Cholec80's 40/8/32 proportions over the prepared videos). Frames are
# resized to 72 px, then cropped to 64 px (random for training, centre for
# evaluation), the 250 -> 224 ratio of the Cholec80 base, so the base works
# for frames prepared at any size.
_base_ = './cholec80_phase_frames.py'

data_root = 'data/synthetic'
split_scheme = 'synthetic'
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'flip',
             'flip_direction', 'video', 'frame')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(72, 72)),
    dict(type='RandomCrop', crop_size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(72, 72)),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        split_scheme=split_scheme,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        data_root=data_root, split_scheme=split_scheme,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        data_root=data_root, split_scheme=split_scheme,
        pipeline=test_pipeline))
