# Phase k-NN monitor of SSL training (PhaseKNNMonitorHook): every 10 epochs,
# 1000 frames of the validation videos 41-48 are classified by the
# temperature-weighted vote (T=0.07) of their 20 cosine-nearest among 2000
# frames of the training videos 1-40, in the backbone's pooled features.
# The data root and split scheme are the training dataset's.
knn_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CenterCrop', crop_size=224),
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
        interval=10,
        memory_size=2000,
        query_size=1000,
        k=20,
        temperature=0.07,
        batch_size=128,
        num_workers=4)
]
