# Labelled 1 fps M2CAI16 workflow frames (250x250): the challenge's 27 train
# and 14 test videos ('m2cai16_27_14'), 8 phases. M2CAI16 has no validation
# split, so there is no val_dataloader: a config using this base sets
# val_cfg = None (or carves a val split out of the training videos with
# explicit videos=[...] lists). Low-data fine-tuning:
#   train_dataloader = dict(dataset=dict(num_videos=7, low_data_seed=0))
_base_ = './cholec80_phase_frames.py'

data_root = 'data/m2cai16'
split_scheme = 'm2cai16_27_14'
train_dataloader = dict(
    dataset=dict(data_root=data_root, split_scheme=split_scheme))
val_dataloader = None
val_evaluator = None
test_dataloader = dict(
    dataset=dict(data_root=data_root, split_scheme=split_scheme))
test_evaluator = dict(dataset='m2cai16')
