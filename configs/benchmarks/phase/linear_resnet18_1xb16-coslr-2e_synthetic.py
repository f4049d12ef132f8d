# Linear probe of a ResNet-18 on the labelled frames of the synthetic demo
# videos (64 px): the CPU-sized twin of
# linear_resnet50_1xb64-coslr-20e_cholec80.py for the demo and the tests.
_base_ = [
    '../../_base_/datasets/synthetic_phase_frames.py',
    './_base_/linear_resnet50.py',
]

model = dict(
    backbone=dict(depth=18),
    neck=[
        dict(type='GlobalAveragePooling'),
        dict(type='ClsBatchNormNeck', input_features=512),
    ],
    head=dict(in_channels=512))
# The BatchNorm neck cannot train on a last batch of one frame.
train_dataloader = dict(drop_last=True)
train_cfg = dict(max_epochs=2)
val_evaluator = [
    dict(type='PhaseMetric', dataset='cholec80', fps=1, mode='both'),
    dict(type='Accuracy', topk=(1, )),
]
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(interval=5))
auto_scale_lr = dict(base_batch_size=16)
