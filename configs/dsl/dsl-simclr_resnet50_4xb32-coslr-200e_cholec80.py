# Distilled simclr student (DSL) with the SPT ResNet-50 teacher; everything else
# as in ../simclr/simclr_resnet50_4xb32-coslr-200e_cholec80.py.
_base_ = [
    '../_base_/models/dsl-simclr_resnet50.py',
    '../_base_/datasets/cholec80_bs32_simclr.py',
    '../_base_/datasets/cholec80_knn_monitor.py',
    '../_base_/schedules/lars_coslr-200e.py',
    '../_base_/default_runtime.py',
]
