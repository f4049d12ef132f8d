# SPT teacher (paper §2.1): frozen supervised-ImageNet ResNet-50 from torchvision,
# MoCo v2 head 2048->2048->ReLU->128 trained with K=2048, tau=0.2, momentum 0.999.
model = dict(
    type='SPT',
    queue_len=2048,
    feat_dim=128,
    momentum=0.001,  # mmengine EMA: 0.001 == the paper's 0.999
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='BN'),
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='torchvision://resnet50',
            format='torchvision')),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))
