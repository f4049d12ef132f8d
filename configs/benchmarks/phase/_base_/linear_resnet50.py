# Linear probe of a self-supervised ResNet-50 on labelled frames: the backbone
# is frozen (all 4 stages and the stem, BN in eval mode), only a linear layer
# on the pooled features is trained.
#
# The pooled features go through a BatchNorm without affine parameters before
# the linear layer (MAE's linear probe). MoCo v2's linear protocol instead uses
# SGD lr 30, because MoCo features are about 100x smaller than supervised
# ones; the BatchNorm removes that scale, so one schedule serves every method
# of a comparison (MoCo, SimCLR, BYOL, their distilled students, ImageNet
# baselines). At test time it is a fixed affine map: the probe stays linear.
#
# The weights to probe come from `model.backbone.init_cfg.checkpoint`: an SSL
# checkpoint (its `backbone.*` keys) or backbone-only weights from
# tools/model_converters/extract_backbone.py. mmdistill's `Pretrained`
# refuses a checkpoint that does not fit the backbone, instead of warning.
_base_ = ['../../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    # ImageNet statistics, as in SSL pretraining. Set on the model (not only
    # as the datasets' top-level data_preprocessor) so that tools building
    # cfg.model alone, like tools/extract_features.py, normalise the same.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='SET_ME: --cfg-options '
            'model.backbone.init_cfg.checkpoint=PATH',
            part='backbone')),
    neck=[
        dict(type='GlobalAveragePooling'),
        dict(type='ClsBatchNormNeck', input_features=2048),
    ],
    head=dict(
        type='LinearClsHead',
        num_classes=7,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

# SGD with momentum and no weight decay on the linear layer, cosine decay.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0)

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# Model selection on the validation split (official relaxed accuracy), never
# on the test split; the latest checkpoint is kept for --resume.
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(
        interval=1,
        max_keep_ckpts=1,
        save_best='phase/accuracy',
        rule='greater'))
auto_scale_lr = dict(base_batch_size=64)
