# Tiny TeCNO on the features of the synthetic surgical videos (demo and tests).
# in_channels must equal the feature_dim in <feature_root>/index.json; the
# demo's ResNet-18 gives 512 (override with --cfg-options).
_base_ = [
    '../../_base_/models/tecno.py',
    '../../_base_/default_runtime.py',
]

feature_root = 'work_dirs/demo/features'
dataset_type = 'PhaseFeatureSequences'

model = dict(
    tcn=dict(
        in_channels=512,
        num_stages=2,
        num_layers=4,
        num_f_maps=16,
        dropout=0.2))

train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, feature_dir=feature_root, split='train'))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        feature_dir=feature_root,
        split='val',
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        feature_dir=feature_root,
        split='test',
        test_mode=True))
val_evaluator = dict(type='PhaseMetric', dataset='cholec80', fps=1)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-3))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(
        interval=5,
        max_keep_ckpts=1,
        save_best='phase/accuracy',
        rule='greater'))
