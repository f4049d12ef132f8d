# Per-video frame-feature sequences of Cholec80 (tools/extract_features.py, one
# directory holding every split), one whole video per batch as MS-TCN and TeCNO
# train. Set the directory with
#   --cfg-options {train,val,test}_dataloader.dataset.feature_dir=DIR
feature_root = 'work_dirs/features/cholec80'
dataset_type = 'PhaseFeatureSequences'

train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, feature_dir=feature_root, videos='train'))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        feature_dir=feature_root,
        videos='val',
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        feature_dir=feature_root,
        videos='test',
        test_mode=True))
val_evaluator = dict(type='PhaseMetric', dataset='cholec80', fps=1)
test_evaluator = val_evaluator
