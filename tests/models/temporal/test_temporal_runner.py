"""The synthetic TeCNO config trains with the mmengine Runner."""
import glob
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'benchmarks', 'temporal',
                  'tecno_1xb1-10e_synthetic-features.py')
D, NUM_PHASES = 16, 7


def synthetic_videos(rng, count, split):
    """Phases in surgical order with random durations; features are noisy
    phase prototypes, so the phases are learnable."""
    prototypes = np.random.default_rng(42).standard_normal((NUM_PHASES, D))
    videos = {}
    for i in range(count):
        labels = np.repeat(
            np.arange(NUM_PHASES), rng.integers(3, 9, NUM_PHASES))
        feats = prototypes[labels] + 0.8 * rng.standard_normal(
            (len(labels), D))
        videos[f'{split}{i:02d}'] = (feats, labels, split)
    return videos


def mean_loss(model, loader):
    model.eval()
    with torch.no_grad():
        losses = [
            model.parse_losses(
                model(**model.data_preprocessor(data, True), mode='loss'))[0]
            for data in loader
        ]
    return torch.stack(losses).mean().item()


def test_runner_training_reduces_loss_and_evaluates(feature_dir, tmp_path):
    rng = np.random.default_rng(0)
    root = feature_dir({
        **synthetic_videos(rng, 6, 'train'),
        **synthetic_videos(rng, 2, 'val'),
        **synthetic_videos(rng, 2, 'test')
    })
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path / 'work_dir')
    cfg.log_level = 'WARNING'
    cfg.model.tcn.in_channels = D
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.feature_dir = root
    # The relaxed official boundary (10 s) would forgive these short phases.
    cfg.test_evaluator.mode = 'strict'
    cfg.train_cfg.max_epochs = 8
    cfg.train_cfg.val_interval = 8
    runner = Runner.from_cfg(cfg)
    train_loader = Runner.build_dataloader(
        dict(
            cfg.train_dataloader,
            sampler=dict(type='DefaultSampler', shuffle=False)))

    before = mean_loss(runner.model, train_loader)
    runner.train()
    after = mean_loss(runner.model, train_loader)
    metrics = runner.test()

    assert after < 0.5 * before, (before, after)
    # Strict frame accuracy in percent: chance is 1/7, 8 epochs reach about
    # 80 on these noisy prototypes.
    assert metrics['phase/accuracy'] > 50
    assert osp.isfile(osp.join(cfg.work_dir, 'epoch_8.pth'))
    # The config selects the best validation checkpoint by PhaseMetric.
    assert glob.glob(osp.join(cfg.work_dir, 'best_phase_accuracy_epoch_*.pth'))
