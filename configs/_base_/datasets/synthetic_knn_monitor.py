# Phase k-NN monitor on the synthetic demo videos: every epoch and once before
# training starts, all frames of the validation video(s) against all frames of
# the training videos (split scheme and data root of the training dataset), at
# the demo's 64 px.
knn_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(72, 72)),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs'),
]
knn_dataset = dict(
    type='SurgicalPhaseFrames',
    fps=1,
    test_mode=True,
    pipeline=knn_pipeline)
# KeyQueueCheckHook: the queue length must fit the global batch (checked
# when training starts).
custom_hooks = [
    dict(type='KeyQueueCheckHook'),
    dict(
        type='PhaseKNNMonitorHook',
        memory_dataset=dict(knn_dataset, videos='train'),
        query_dataset=dict(knn_dataset, videos='val'),
        interval=1,
        memory_size=None,
        query_size=None,
        k=20,
        temperature=0.07,
        batch_size=32,
        num_workers=0,
        at_start=True)
]
