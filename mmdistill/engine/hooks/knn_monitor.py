"""Phase k-NN accuracy of the representation while SSL trains."""
import math
import time
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import default_collate
from mmengine.dist import all_gather, get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.utils.data import DataLoader, Subset

from mmdistill.evaluation.knn import knn_predict, knn_scores
from mmdistill.models.utils.embedding import backbone_embedding
from mmdistill.registry import DATASETS, HOOKS


def evenly_spaced(length: int, size: Optional[int]) -> np.ndarray:
    """``size`` indices spread evenly over ``range(length)`` (all if None).

    Items are ordered by video, then frame, so the subset covers every video
    and phase in proportion, and it is the same at every epoch and rank.
    """
    if size is None or size >= length:
        return np.arange(length)
    return np.unique(np.linspace(0, length - 1, size).round().astype(int))


@HOOKS.register_module()
class PhaseKNNMonitorHook(Hook):
    """Phase k-NN accuracy and macro F1 of the backbone every few epochs.

    SSL losses say little about how useful a representation is; solo-learn
    and lightly monitor online k-NN accuracy for that reason. Every
    ``interval`` epochs this hook embeds a labelled *memory* subset of the
    training videos and a labelled *query* subset of the validation videos
    with the current backbone (eval mode, no gradients, batches on the
    training device; each rank embeds a shard and the shards are gathered),
    classifies each query frame by the temperature-weighted vote of its
    ``k`` cosine-nearest memory frames (Wu et al. 2018) and reports
    ``knn/accuracy`` and ``knn/macro_f1`` (in %) to the logger and the
    visualizer (TensorBoard when that backend is on).

    The embedding is the pooled last backbone output (token outputs: the
    mean of the patch tokens): for a student, the
    input of its projection head; for SPT, the frozen public backbone's
    (constant while the head trains, so it measures the starting point).

    Args:
        memory_dataset: Config of a labelled dataset over training videos
            (``SurgicalPhaseFrames`` with an evaluation pipeline). Without a
            ``data_root`` or ``split_scheme`` it uses the training
            dataset's, so a run pointed at other data takes its monitor
            along.
        query_dataset: As ``memory_dataset``, over validation videos.
        interval: Run every this many epochs (and after the last one).
        memory_size: Frames of ``memory_dataset`` used, spread evenly over
            it (None: all).
        query_size: As ``memory_size`` for ``query_dataset``.
        k: Neighbours that vote.
        temperature: ``T`` of the vote weights ``exp(s / T)``.
        batch_size: Frames embedded at once per rank.
        num_workers: Dataloader workers.
        at_start: Also evaluate before the first epoch (logged as epoch 0,
            the initialisation), so the curve shows where training began.
    """

    priority = 'LOW'

    def __init__(self,
                 memory_dataset: dict,
                 query_dataset: dict,
                 interval: int = 10,
                 memory_size: Optional[int] = 2000,
                 query_size: Optional[int] = 1000,
                 k: int = 20,
                 temperature: float = 0.07,
                 batch_size: int = 64,
                 num_workers: int = 2,
                 at_start: bool = False) -> None:
        if interval < 1 or k < 1 or temperature <= 0:
            raise ValueError(
                'PhaseKNNMonitorHook needs interval >= 1, k >= 1 and '
                f'temperature > 0; got {interval}, {k}, {temperature}')
        self.dataset_cfgs = dict(memory=memory_dataset, query=query_dataset)
        self.sizes = dict(memory=memory_size, query=query_size)
        self.interval = interval
        self.k = k
        self.temperature = temperature
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.at_start = at_start
        self._loaders: Dict[str, DataLoader] = {}
        self._labels: Dict[str, torch.Tensor] = {}
        self.num_classes = 0

    def before_train(self, runner) -> None:
        """Build both subsets once; a bad data root fails before training."""
        rank, world_size = get_dist_info()
        for name, cfg in self.dataset_cfgs.items():
            dataset = DATASETS.build(self._with_training_data(cfg, runner))
            self.num_classes = len(dataset.metainfo['classes'])
            indices = evenly_spaced(len(dataset), self.sizes[name])
            self._labels[name] = torch.tensor(
                [int(dataset.get_data_info(i)['gt_label']) for i in indices])
            # Rank r embeds items r, r + W, ...; gathering the per-rank
            # results position by position restores the order (padding the
            # last shards by repeating an item, dropped after the gather).
            per_rank = math.ceil(len(indices) / world_size)
            padded = np.resize(indices, per_rank * world_size)
            self._loaders[name] = DataLoader(
                Subset(dataset, padded[rank::world_size].tolist()),
                batch_size=self.batch_size,
                num_workers=self.num_workers,
                collate_fn=default_collate)
        if self.at_start:
            self._report(runner, runner.epoch)

    @staticmethod
    def _with_training_data(cfg: dict, runner) -> dict:
        """``cfg`` with the training dataset's ``data_root`` and
        ``split_scheme`` where it gives none."""
        missing = [k for k in ('data_root', 'split_scheme') if k not in cfg]
        if not missing:
            return cfg
        train = runner.cfg.get('train_dataloader', {}).get('dataset', {})
        cfg = dict(cfg)
        for key in missing:
            if train.get(key) is not None:
                cfg[key] = train[key]
        if cfg.get('data_root') is None:
            raise ValueError(
                'PhaseKNNMonitorHook: give memory_dataset.data_root and '
                'query_dataset.data_root (the training dataset has none to '
                'take).')
        return cfg

    def after_train_epoch(self, runner) -> None:
        if not (self.every_n_epochs(runner, self.interval)
                or self.is_last_train_epoch(runner)):
            return
        self._report(runner, runner.epoch + 1)

    def _report(self, runner, epoch: int) -> None:
        start = time.perf_counter()
        scores = self.evaluate(runner.model)
        runner.logger.info(
            f'Phase k-NN monitor (k={self.k}, epoch {epoch}): '
            f'accuracy {scores["accuracy"]:.2f}, macro F1 '
            f'{scores["macro_f1"]:.2f} ({len(self._labels["query"])} query '
            f'/ {len(self._labels["memory"])} memory frames, '
            f'{time.perf_counter() - start:.1f} s)')
        runner.visualizer.add_scalars(
            {f'knn/{key}': value for key, value in scores.items()}, step=epoch)

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module) -> Dict[str, float]:
        """k-NN accuracy and macro F1 (%) of ``model``'s backbone now."""
        if is_model_wrapper(model):
            model = model.module
        was_training = model.training
        model.eval()
        try:
            memory = self._embed(model, 'memory')
            query = self._embed(model, 'query')
        finally:
            model.train(was_training)
        preds = knn_predict(
            query, memory, self._labels['memory'].to(memory.device),
            self.num_classes, self.k, self.temperature)
        return knn_scores(preds, self._labels['query'], self.num_classes)

    def _embed(self, model: torch.nn.Module, name: str) -> torch.Tensor:
        feats = []
        for data in self._loaders[name]:
            inputs = model.data_preprocessor(
                dict(inputs=data['inputs'], data_samples=None),
                False)['inputs']
            feats.append(
                backbone_embedding(model.backbone,
                                   model.backbone(inputs)).float())
        local = torch.cat(feats)
        gathered = torch.stack(all_gather(local), dim=1).flatten(0, 1)
        return gathered[:len(self._labels[name])]
