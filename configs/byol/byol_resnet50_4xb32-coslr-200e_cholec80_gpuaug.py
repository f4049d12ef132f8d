# byol_resnet50_4xb32-coslr-200e_cholec80.py
# with the view augmentations in the model's data preprocessor
# (cholec80_bs32_byol_gpuaug.py):
# the dataloader only decodes and crops.
_base_ = [
    '../_base_/models/byol_resnet50.py',
    '../_base_/datasets/cholec80_bs32_byol_gpuaug.py',
    '../_base_/schedules/lars_coslr-200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor=dict(_delete_=True, **_base_.data_preprocessor))
