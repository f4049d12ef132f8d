# Full fine-tuning of a self-supervised ResNet-50 on labelled frames: every
# layer trains, BN included, with a linear classifier on the pooled features.
#
# SGD with momentum 0.9, lr 0.01 at batch 32, weight decay 1e-4, cosine decay
# over 20 epochs; the new classifier learns 10x faster than the pretrained
# backbone. The paper does not publish its fine-tuning schedule (its code
# fine-tunes in a separate repository with SGD/Adam); this is the common
# transfer-learning recipe, the same for every checkpoint of a comparison.
#
# The weights come from `model.backbone.init_cfg.checkpoint`, as in
# linear_resnet50.py.
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
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='SET_ME: --cfg-options '
            'model.backbone.init_cfg.checkpoint=PATH',
            part='backbone')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=7,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}))
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
auto_scale_lr = dict(base_batch_size=32)
