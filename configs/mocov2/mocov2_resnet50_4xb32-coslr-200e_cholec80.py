# Baseline: plain mocov2 student, random-init ResNet-50, Cholec80 videos 1-40:
# ../dsl/dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py minus distillation.
# InfoNCE is weighted 2 as in the distilled twin (2 * InfoNCE + 5 * KL), so a
# comparison changes only the teacher and its KL term.
_base_ = [
    '../_base_/models/mocov2_resnet50.py',
    '../_base_/datasets/cholec80_bs32_mocov2.py',
    '../_base_/datasets/cholec80_knn_monitor.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(loss=dict(loss_weight=2.0)))
