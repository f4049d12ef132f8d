# Labelled 1 fps M2CAI16 workflow frames (250x250): the challenge's 27 train
# and 14 test videos ('m2cai16_27_14'), 8 phases. M2CAI16 has no validation
# split, so there is no val_dataloader: a config using this base sets
# val_cfg = None (or carves a val split out of the training videos with
# explicit videos=[...] lists). Low-data fine-tuning:
#   train_dataloader = dict(dataset=dict(num_videos=7, split_seed=0))
dataset_type = 'SurgicalPhaseFrames'
data_root = 'data/m2cai16'
split_scheme = 'm2cai16_27_14'
data_preprocessor = dict(
    num_classes=8,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'flip',
             'flip_direction', 'video', 'frame')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        split_scheme=split_scheme,
        fps=1,
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        split_scheme=split_scheme,
        fps=1,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(
    type='PhaseMetric', dataset='m2cai16', fps=1, mode='both')
