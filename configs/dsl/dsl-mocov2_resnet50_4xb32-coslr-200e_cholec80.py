# Distilled mocov2 student (DSL) with the SPT ResNet-50 teacher; everything else
# as in ../mocov2/mocov2_resnet50_4xb32-coslr-200e_cholec80.py.
_base_ = [
    '../_base_/models/dsl-mocov2_resnet50.py',
    '../_base_/datasets/cholec80_bs32_mocov2.py',
    '../_base_/datasets/cholec80_knn_monitor.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]
