# Distilled SimCLR: teacher and student score the same 2N-1 in-batch views.
_base_ = ['./simclr_resnet50.py', './teacher_spt_resnet50.py']

model = dict(
    type='DistilledSimCLR',
    teacher={{_base_.teacher}},
    distill_loss=dict(
        type='SimilarityKLLoss',
        student_temperature=0.1,
        teacher_temperature=0.1,
        loss_weight=5.0))
