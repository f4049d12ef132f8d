# Linear probe of an SSL ResNet-50 on labelled Cholec80 frames at 1 fps:
# train videos 1-40, model selection on val 41-48, test 49-80. Set the
# weights with --cfg-options model.backbone.init_cfg.checkpoint=PATH.
# Low-data probes: train_dataloader.dataset.fraction=0.125 (or 0.25) and
# train_dataloader.dataset.low_data_seed=S pick fixed subsets of the videos.
# The paper's split without val (train 1-40, test 41-80, last epoch kept):
#   train_dataloader.dataset.split_scheme=cholec80_40_40
#   test_dataloader.dataset.split_scheme=cholec80_40_40 val_dataloader=None
#   val_cfg=None val_evaluator=None default_hooks.checkpoint.save_best=None
_base_ = [
    '../../_base_/datasets/cholec80_phase_frames.py',
    './_base_/linear_resnet50.py',
]

# The BatchNorm neck cannot train on a last batch of one frame.
train_dataloader = dict(batch_size=64, drop_last=True)
val_evaluator = [
    dict(type='PhaseMetric', dataset='cholec80', fps=1, mode='both'),
    dict(type='Accuracy', topk=(1, )),
]
test_evaluator = val_evaluator
