# Distilled BYOL: SEED-style KL against a queue of SPT teacher keys.
_base_ = ['./byol_resnet50.py', './teacher_spt_resnet50.py']

model = dict(
    type='DistilledBYOL',
    queue_len=2048,
    teacher={{_base_.teacher}},
    distill_loss=dict(
        type='SimilarityKLLoss',
        student_temperature=0.2,
        teacher_temperature=0.2,
        loss_weight=5.0))
