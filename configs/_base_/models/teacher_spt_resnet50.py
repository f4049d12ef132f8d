# The frozen teacher of a distilled student: the SPT ResNet-50 export
# (tools/model_converters/export_teacher.py). Point `teacher.checkpoint` at it.
teacher = dict(
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN')),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    checkpoint='work_dirs/spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80/'
    'teacher.pth',
    key_head='momentum')
