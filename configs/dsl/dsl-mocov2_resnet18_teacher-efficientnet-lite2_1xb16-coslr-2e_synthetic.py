# Heterogeneous distillation with real public weights: a random-init ResNet-18
# student learns from the frozen ImageNet EfficientNet-Lite2 SPT teacher of
# spt/spt_efficientnet-lite2_in1k-sup_1xb16-coslr-2e_synthetic.py, on the
# synthetic videos, on CPU. teacher.checkpoint is that run's export
# (tools/model_converters/export_teacher.py).
_base_ = ['./dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py']

model = dict(
    teacher=dict(
        backbone=dict(model_name='tf_efficientnet_lite2'),
        checkpoint='work_dirs/spt_efficientnet-lite2_in1k-sup_1xb16-coslr-2e_'
        'synthetic/teacher.pth'))
