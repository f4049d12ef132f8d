# Offline phase recognition on Cholec80 with MS-TCN over frozen frame features.
# Extract the features of each split of the frame config into one directory:
#   python tools/extract_features.py FRAME_CONFIG CHECKPOINT \
#       --out-dir work_dirs/features/cholec80 --split {train,val,test}
# (Cholec80: train 1-40; SelfSupSurg's val 41-48 / test 49-80.)
_base_ = [
    '../../_base_/models/mstcn.py',
    '../../_base_/default_runtime.py',
]

feature_root = 'work_dirs/features/cholec80'
dataset_type = 'PhaseFeatureSequences'

# One whole video per batch, as MS-TCN and TeCNO train.
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, feature_dir=feature_root, split='train'))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        feature_dir=feature_root,
        split='val',
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        feature_dir=feature_root,
        split='test',
        test_mode=True))
val_evaluator = dict(type='PhaseMetric', dataset='cholec80', fps=1)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# Model selection on the validation split, never on the test split.
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(save_best='phase/accuracy', rule='greater'))
