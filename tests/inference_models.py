"""A tiny frame model and causal TCN trained on the synthetic videos.

Trained once per test session (:func:`trained_models`) as a user would:
the frame model is the synthetic fine-tuning config (ResNet-18 with 16 base
channels, 64 px) trained by the mmengine Runner on the prepared frames of
video01-03; the TCN is the synthetic TeCNO config trained by the Runner on
the inferencer's features of the raw video01-03. video04 stays unseen.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from mmdistill.apis import PhaseInferencer
from mmdistill.datasets import read_frame_annotation
from mmdistill.datasets.layout import annotation_path

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TRAIN_VIDEOS = ('video01', 'video02', 'video03')
UNSEEN_VIDEO = 'video04'
FRAME_EPOCHS, TCN_EPOCHS = 12, 30

FRAME_CONFIG = """
_base_ = [{base!r}]
model = dict(
    backbone=dict(stem_channels=16, base_channels=16, init_cfg=None),
    head=dict(in_channels=128))
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    loader, dataset=dict(data_root={data_root!r}, videos={videos!r}))
test_dataloader = dict(loader, dataset=dict(data_root={data_root!r}))
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_epochs={epochs}, val_interval={epochs})
optim_wrapper = dict(optimizer=dict(lr=0.05))
default_hooks = dict(checkpoint=dict(interval={epochs}, save_best=None))
randomness = dict(seed=0)
log_level = 'WARNING'
"""

TCN_CONFIG = """
_base_ = [{base!r}]
model = dict(tcn=dict(in_channels=128))
train_dataloader = dict(dataset=dict(feature_dir={feature_dir!r}))
test_dataloader = dict(dataset=dict(feature_dir={feature_dir!r}))
val_dataloader = None
val_cfg = None
val_evaluator = None
train_cfg = dict(max_epochs={epochs}, val_interval={epochs})
default_hooks = dict(checkpoint=dict(interval={epochs}))
randomness = dict(seed=0)
log_level = 'WARNING'
"""


@dataclass
class TrainedModels:
    """Configs and checkpoints of the session's trained models."""
    frame_config: str
    frame_checkpoint: str
    temporal_config: str
    temporal_checkpoint: str
    raw_dir: str
    data_root: str

    def video(self, name: str = UNSEEN_VIDEO) -> str:
        return osp.join(self.raw_dir, 'videos', f'{name}.mp4')

    def labels(self, name: str = UNSEEN_VIDEO) -> np.ndarray:
        """Ground-truth phases of the prepared 1 fps frames."""
        return read_frame_annotation(annotation_path(self.data_root,
                                                     name)).phases


_CACHE: Dict[str, TrainedModels] = {}


def _train(config: str, work_dir: str, epochs: int) -> str:
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    Runner.from_cfg(cfg).train()
    return osp.join(work_dir, f'epoch_{epochs}.pth')


def _write_features(inferencer: PhaseInferencer, models: TrainedModels,
                    out_dir: str) -> None:
    """Features of the raw training videos as tools/extract_features.py
    writes them (``index.json`` + one ``.npy`` per video)."""
    os.makedirs(out_dir, exist_ok=True)
    videos = {}
    for name in TRAIN_VIDEOS:
        feats, _ = inferencer.frame_features(
            inferencer.open(models.video(name)).frames())
        labels = models.labels(name)
        assert len(labels) == len(feats)
        np.save(osp.join(out_dir, f'{name}.npy'), feats.numpy())
        videos[name] = dict(
            file=f'{name}.npy',
            num_frames=len(feats),
            labels=labels.tolist(),
            split='train')
    index = dict(
        feature_dim=int(feats.shape[1]),
        fps=1,
        checkpoint=models.frame_checkpoint,
        config=models.frame_config,
        videos=videos)
    with open(osp.join(out_dir, 'index.json'), 'w') as f:
        json.dump(index, f)


def trained_models(tmp_path_factory, raw_dir: str,
                   data_root: str) -> TrainedModels:
    """Train (once per session) and return the tiny models."""
    cached: Optional[TrainedModels] = _CACHE.get(data_root)
    if cached is not None:
        return cached
    root = str(tmp_path_factory.mktemp('inference_models'))
    frame_config = osp.join(root, 'frame_cfg.py')
    with open(frame_config, 'w') as f:
        f.write(
            FRAME_CONFIG.format(
                base=osp.join(
                    REPO, 'configs', 'benchmarks', 'phase',
                    'finetune_resnet18_1xb16-coslr-2e_synthetic.py'),
                data_root=data_root,
                videos=list(TRAIN_VIDEOS),
                epochs=FRAME_EPOCHS))
    frame_checkpoint = _train(frame_config, osp.join(root, 'frame'),
                              FRAME_EPOCHS)
    models = TrainedModels(frame_config, frame_checkpoint, '', '', raw_dir,
                           data_root)
    feature_dir = osp.join(root, 'features')
    _write_features(
        PhaseInferencer(frame_config, frame_checkpoint), models, feature_dir)
    models.temporal_config = osp.join(root, 'tcn_cfg.py')
    with open(models.temporal_config, 'w') as f:
        f.write(
            TCN_CONFIG.format(
                base=osp.join(REPO, 'configs', 'benchmarks', 'temporal',
                              'tecno_1xb1-10e_synthetic-features.py'),
                feature_dir=feature_dir,
                epochs=TCN_EPOCHS))
    models.temporal_checkpoint = _train(models.temporal_config,
                                        osp.join(root, 'tcn'), TCN_EPOCHS)
    _CACHE[data_root] = models
    return models
