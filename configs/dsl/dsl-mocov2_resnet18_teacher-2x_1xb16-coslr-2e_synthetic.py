# Synthetic twin of dsl-mocov2_resnet50_teacher-2x_4xb32-coslr-200e_cholec80.py,
# small enough for CPU: a random-init ResNet-18 distilled from two frozen
# teachers, the demo's SPT EfficientNet-Lite0 export (128-d head, see
# dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py) and the public ImageNet
# EfficientNet-Lite0 as it is (pooled 1280-d features, offline weights).
_base_ = './dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py'

lite0 = dict(type='TIMMBackbone', model_name='tf_efficientnet_lite0',
             pretrained=False)
model = dict(
    teacher=None,
    teachers=[
        dict(
            backbone=lite0,
            neck=dict(
                type='MoCoV2Neck',
                in_channels=1280,
                hid_channels=1280,
                out_channels=128,
                with_avg_pool=True),
            checkpoint='work_dirs/demo/spt/teacher.pth',
            mean=[127.5, 127.5, 127.5],
            std=[127.5, 127.5, 127.5],
            weight=0.5),
        dict(
            backbone=dict(
                lite0,
                init_cfg=dict(
                    type='Pretrained',
                    _scope_='mmdistill',
                    checkpoint='efficientnet-lite0://imagenet',
                    format='timm')),
            mean=[127.5, 127.5, 127.5],
            std=[127.5, 127.5, 127.5],
            weight=0.5),
    ])
