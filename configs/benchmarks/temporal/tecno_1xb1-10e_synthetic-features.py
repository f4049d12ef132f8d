# Tiny TeCNO on the features of the synthetic surgical videos (demo and tests).
# in_channels must equal the feature_dim in <feature dir>/index.json; the
# demo's ResNet-18 gives 512 (override with --cfg-options).
_base_ = './tecno_1xb1-100e_cholec80-features.py'

feature_root = 'work_dirs/demo/features'
model = dict(
    tcn=dict(
        in_channels=512,
        num_stages=2,
        num_layers=4,
        num_f_maps=16,
        dropout=0.2))

train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(feature_dir=feature_root))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(feature_dir=feature_root))
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(feature_dir=feature_root))

optim_wrapper = dict(optimizer=dict(lr=5e-3, weight_decay=0.))
param_scheduler = []
train_cfg = dict(max_epochs=10)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=5, max_keep_ckpts=1))
