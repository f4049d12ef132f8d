# Offline phase recognition on Cholec80 with MS-TCN over frozen frame features.
# Extract the features of each split of the frame config into one directory:
#   python tools/extract_features.py FRAME_CONFIG CHECKPOINT \
#       --out-dir work_dirs/features/cholec80 --split {train,val,test}
# (Cholec80: train 1-40; SelfSupSurg's val 41-48 / test 49-80.)
_base_ = [
    '../../_base_/models/mstcn.py',
    '../../_base_/datasets/cholec80_features.py',
    '../../_base_/schedules/adam-100e.py',
    '../../_base_/default_runtime.py',
]

# Model selection on the validation split, never on the test split.
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(save_best='phase/accuracy', rule='greater'))
