"""PhaseKNNMonitorHook: values against a direct computation, 1 vs 2 ranks."""
import socket

import pytest
import torch
import torch.multiprocessing as mp

from dist_workers import knn_monitor_worker
from mmdistill.engine.hooks import PhaseKNNMonitorHook
from mmdistill.engine.hooks.knn_monitor import evenly_spaced
from mmdistill.evaluation import knn_predict, knn_scores
from mmdistill.registry import DATASETS, MODELS
from tiny_models import knn_monitor_cfg, spt_cfg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_evenly_spaced_subset():
    assert evenly_spaced(10, None).tolist() == list(range(10))
    assert evenly_spaced(10, 4).tolist() == [0, 3, 6, 9]
    assert evenly_spaced(3, 5).tolist() == [0, 1, 2]


def _direct_embeddings(model, cfg, size):
    """Item by item, no sharding, no batching: an independent path."""
    dataset = DATASETS.build(cfg)
    feats, labels = [], []
    for i in evenly_spaced(len(dataset), size):
        item = dataset[int(i)]
        x = item['inputs'][None].float()[:, [2, 1, 0]]  # BGR -> RGB
        x = (x - model.data_preprocessor.mean) / model.data_preprocessor.std
        feats.append(model.backbone(x)[-1].mean(dim=(2, 3)))
        labels.append(item['data_samples'].gt_label.item())
    return torch.cat(feats), torch.tensor(labels)


@torch.no_grad()
def test_scores_match_a_direct_computation(synthetic_data_root):
    torch.manual_seed(0)
    model = MODELS.build(spt_cfg())
    model.init_weights()
    model.eval()
    cfg = knn_monitor_cfg(synthetic_data_root)
    hook = PhaseKNNMonitorHook(**cfg)
    hook.before_train(runner=None)
    scores = hook.evaluate(model)

    memory, memory_labels = _direct_embeddings(model, cfg['memory_dataset'],
                                               31)
    query, query_labels = _direct_embeddings(model, cfg['query_dataset'],
                                             None)
    torch.testing.assert_close(hook._embed(model, 'memory'), memory)
    preds = knn_predict(query, memory, memory_labels, 7, k=5)
    assert scores == knn_scores(preds, query_labels, 7)
    assert 0 <= scores['accuracy'] <= 100


def test_two_gloo_ranks_give_the_one_process_value(tmp_path,
                                                    synthetic_data_root):
    knn_monitor_worker(0, 1, None, synthetic_data_root, str(tmp_path))
    mp.spawn(knn_monitor_worker,
             args=(2, _free_port(), synthetic_data_root, str(tmp_path)),
             nprocs=2)
    single = torch.load(tmp_path / 'knn_world1_rank0.pth')
    for rank in range(2):
        shard = torch.load(tmp_path / f'knn_world2_rank{rank}.pth')
        assert shard['memory'].shape == single['memory'].shape == (31, 512)
        torch.testing.assert_close(shard['memory'], single['memory'])
        assert shard['scores'] == single['scores']


def test_missing_data_root_names_the_fix():
    class _Runner:
        cfg = dict(train_dataloader=dict(dataset=dict()))

    hook = PhaseKNNMonitorHook(
        memory_dataset=dict(type='SurgicalPhaseFrames'),
        query_dataset=dict(type='SurgicalPhaseFrames'))
    with pytest.raises(ValueError, match='memory_dataset.data_root'):
        hook.before_train(_Runner())
