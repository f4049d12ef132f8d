# Paper setting: frozen supervised-ImageNet ResNet-50 (torchvision), MoCo v2
# head, 1 fps frames of Cholec80 training videos 1-40, 4 GPUs x 32 = 128.
_base_ = [
    '../_base_/models/spt_resnet50.py',
    '../_base_/datasets/cholec80_bs32_mocov2.py',
    '../_base_/datasets/cholec80_knn_monitor.py',
    '../_base_/schedules/sgd_coslr-200e.py',
    '../_base_/default_runtime.py',
]
