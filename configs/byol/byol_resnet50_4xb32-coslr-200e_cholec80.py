# Baseline: plain byol student, random-init ResNet-50, Cholec80 videos 1-40.
_base_ = [
    '../_base_/models/byol_resnet50.py',
    '../_base_/datasets/cholec80_bs32_byol.py',
    '../_base_/datasets/cholec80_knn_monitor.py',
    '../_base_/schedules/lars_coslr-200e.py',
    '../_base_/default_runtime.py',
]
