# Distilled BYOL: SEED-style KL against a queue of SPT teacher keys.
_base_ = './byol_resnet50.py'

model = dict(
    type='DistilledBYOL',
    queue_len=2048,
    # The frozen teacher: the SPT ResNet-50 export
    # (tools/model_converters/export_teacher.py); point it at yours with
    # --cfg-options model.teacher.checkpoint=PATH.
    teacher=dict(
        backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN')),
        neck=dict(
            type='MoCoV2Neck',
            in_channels=2048,
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=True),
        checkpoint='work_dirs/spt_resnet50_in1k-sup_4xb32-coslr-200e_'
        'cholec80/teacher.pth',
        key_head='momentum'),
    distill_loss=dict(
        type='SimilarityKLLoss',
        student_temperature=0.2,
        teacher_temperature=0.2,
        loss_weight=5.0))
