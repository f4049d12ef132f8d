# Linear probe of an SSL ResNet-50 on labelled M2CAI16 workflow frames at
# 1 fps (27 train / 14 test videos, 8 phases). M2CAI16 has no validation
# split, so there is no model selection: the last epoch is used.
_base_ = [
    '../../_base_/datasets/m2cai16_phase_frames.py',
    './_base_/linear_resnet50.py',
]

model = dict(head=dict(num_classes=8))
# The BatchNorm neck cannot train on a last batch of one frame.
train_dataloader = dict(batch_size=64, drop_last=True)
val_cfg = None
test_evaluator = [
    dict(type='PhaseMetric', dataset='m2cai16', fps=1, mode='both'),
    dict(type='Accuracy', topk=(1, )),
]
default_hooks = dict(checkpoint=dict(save_best=None))
