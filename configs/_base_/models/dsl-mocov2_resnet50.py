# Distilled MoCo v2 student (paper §2.2): random-init ResNet-50, K=2048,
# tau=0.2, loss = 2 * InfoNCE + 5 * KL as in the released code.
_base_ = ['./mocov2_resnet50.py', './teacher_spt_resnet50.py']

model = dict(
    type='DistilledMoCo',
    head=dict(loss=dict(loss_weight=2.0)),
    teacher={{_base_.teacher}},
    distill_loss=dict(
        type='SimilarityKLLoss',
        student_temperature=0.2,
        teacher_temperature=0.2,
        loss_weight=5.0))
