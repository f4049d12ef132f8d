# Fine-tuning of an SSL ResNet-50 on labelled Cholec80 frames at 1 fps:
# train videos 1-40, model selection on val 41-48, test 49-80. Set the
# weights with --cfg-options model.backbone.init_cfg.checkpoint=PATH.
# Low-data fine-tuning: the -12.5pct / -25pct configs. The paper's split
# without val: see linear_resnet50_1xb64-coslr-20e_cholec80.py.
_base_ = [
    '../../_base_/datasets/cholec80_phase_frames.py',
    './_base_/finetune_resnet50.py',
]

val_evaluator = [
    dict(type='PhaseMetric', dataset='cholec80', fps=1, mode='both'),
    dict(type='Accuracy', topk=(1, )),
]
test_evaluator = val_evaluator
