"""Tiny model configs shared by the algorithm tests (ResNet-18, 32 px)."""
import torch

from mmdistill.registry import MODELS

PREPROCESSOR = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
BACKBONE = dict(type='ResNet', depth=18, norm_cfg=dict(type='BN'))
MOCO_NECK = dict(
    type='MoCoV2Neck',
    in_channels=512,
    hid_channels=32,
    out_channels=16,
    with_avg_pool=True)
MOCO_HEAD = dict(
    type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)


def spt_cfg(queue_len: int = 16) -> dict:
    return dict(
        type='SPT',
        backbone=BACKBONE,
        neck=MOCO_NECK,
        head=MOCO_HEAD,
        queue_len=queue_len,
        feat_dim=16,
        data_preprocessor=PREPROCESSOR)


def make_teacher_checkpoint(path: str, seed: int = 0) -> dict:
    """Train-free SPT teacher (random weights) saved like a Runner would;
    returns its state dict."""
    torch.manual_seed(seed)
    spt = MODELS.build(spt_cfg())
    spt.init_weights()
    # Non-trivial BN statistics, so eval-vs-train mode differences show.
    for m in spt.backbone.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    state = spt.state_dict()
    torch.save(dict(meta=dict(epoch=1), state_dict=state), path)
    return state


def teacher_cfg(checkpoint: str, **kwargs) -> dict:
    return dict(backbone=BACKBONE, neck=MOCO_NECK, checkpoint=checkpoint,
                **kwargs)


def views(n: int = 4, size: int = 32, seed: int = 0) -> list:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]


def knn_monitor_cfg(data_root: str) -> dict:
    """PhaseKNNMonitorHook arguments over the 64 px synthetic frames, with
    subset sizes that make the 2-rank shards uneven."""
    dataset = dict(
        type='SurgicalPhaseFrames',
        data_root=data_root,
        split_scheme='synthetic',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    return dict(
        memory_dataset=dict(dataset, videos='train'),
        query_dataset=dict(dataset, videos='val'),
        memory_size=31,
        query_size=None,
        k=5,
        batch_size=8,
        num_workers=0)
