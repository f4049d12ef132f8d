# Labelled 1 fps Cholec80 frames (250x250) for fine-tuning and linear probes:
# train videos 1-40, val 41-48, test 49-80 ('cholec80_40_8_32'); the paper's
# train 1-40 / test 41-80 is split_scheme='cholec80_40_40' (no val split).
# Random 224 crop + flip for training, centre crop for evaluation, as in
# SV-RCNet / TMRNet. Low-data fine-tuning (e.g. 12.5 % = 5 videos):
#   train_dataloader = dict(dataset=dict(num_videos=5, low_data_seed=0))
# (or fraction=0.125); the chosen videos are logged and kept as
# dataset.low_data (the benchmark writes low_data.json). PhaseMetric groups frames per video through the
# 'video' and 'frame' meta keys.
dataset_type = 'SurgicalPhaseFrames'
data_root = 'data/cholec80'
split_scheme = 'cholec80_40_8_32'
data_preprocessor = dict(
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
        videos='train',
        split_scheme=split_scheme,
        fps=1,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        videos='val',
        split_scheme=split_scheme,
        fps=1,
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(
    type='PhaseMetric', dataset='cholec80', fps=1, mode='both')
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        videos='test',
        split_scheme=split_scheme,
        fps=1,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = val_evaluator
