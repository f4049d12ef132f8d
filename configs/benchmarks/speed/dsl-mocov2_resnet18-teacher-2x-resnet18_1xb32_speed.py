# Speed comparison: dsl-mocov2_resnet18-teacher-resnet18_1xb32_speed.py with two
# frozen SPT ResNet-18 teachers of the same size instead of one, so the ratio
# between the two configs is the cost of one more teacher (its batched forward,
# its weights, its queue). train_speed.py gives each teacher random weights
# when its checkpoint is missing: speed does not depend on them.
_base_ = './dsl-mocov2_resnet18-teacher-resnet18_1xb32_speed.py'

spt_resnet18 = dict(
    backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='BN')),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=512,
        hid_channels=512,
        out_channels=128,
        with_avg_pool=True),
    key_head='momentum')
model = dict(
    teacher=None,
    teachers=[
        dict(
            spt_resnet18,
            checkpoint='work_dirs/spt_resnet18_1xb32_speed/teacher.pth',
            weight=0.5),
        dict(
            spt_resnet18,
            checkpoint='work_dirs/spt_resnet18_1xb32_speed/teacher.pth',
            weight=0.5),
    ])
