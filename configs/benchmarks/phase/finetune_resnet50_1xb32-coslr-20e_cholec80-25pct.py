# Low-data fine-tuning on Cholec80: 25 % of the 40 training videos (10).
# Each low_data_seed (0, 1, 2, ...) is one of the paper's fixed splits; the
# chosen videos are logged and saved in the run's log folder. Validation and
# test videos are unchanged.
_base_ = './finetune_resnet50_1xb32-coslr-20e_cholec80.py'

train_dataloader = dict(dataset=dict(fraction=0.25, low_data_seed=0))
