# Offline phase recognition on M2CAI16 (8 phases, 27 train / 14 test videos)
# with MS-TCN over frozen frame features. M2CAI16 has no validation split: the
# last epoch is evaluated.
_base_ = './mstcn_1xb1-100e_cholec80-features.py'

feature_root = 'work_dirs/features/m2cai16'
model = dict(tcn=dict(num_classes=8))
train_dataloader = dict(dataset=dict(feature_dir=feature_root))
test_dataloader = dict(dataset=dict(feature_dir=feature_root))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = dict(dataset='m2cai16')
default_hooks = dict(checkpoint=dict(save_best=None))
