"""PhaseMetric through mmengine's Evaluator, with both kinds of samples."""
import json
import random

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample
from PIL import Image

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation import (evaluate_phases, format_report,
                                  relaxed_report, read_label_dirs,
                                  results_to_json, strict_report)
from mmdistill.registry import METRICS, VIDEO_METRICS

CHOLEC80 = get_phases('cholec80')


def sequence_samples(videos):
    return [
        dict(video_name=name, gt_phase=torch.from_numpy(gt),
             pred_phase=torch.from_numpy(pred),
             phase_score=torch.rand(len(gt), 7))
        for name, (gt, pred) in videos.items()
    ]


def frame_samples(videos):
    """One mmpretrain DataSample per frame, frames 0, 25, 50, ..., shuffled."""
    samples = [
        DataSample(metainfo=dict(video=name, frame=25 * i)).set_gt_label(
            int(g)).set_pred_label(int(p))
        for name, (gt, pred) in videos.items()
        for i, (g, p) in enumerate(zip(gt, pred))
    ]
    random.Random(0).shuffle(samples)
    return samples


def evaluate(metric_cfg, samples, batch_size=16):
    evaluator = Evaluator(METRICS.build(metric_cfg))
    for start in range(0, len(samples), batch_size):
        evaluator.process(samples[start:start + batch_size])
    return evaluator.evaluate(len(samples))


def test_sequence_samples_both_modes(videos):
    metrics = evaluate(dict(type='PhaseMetric', dataset='cholec80', fps=1,
                            mode='both'), sequence_samples(videos), 1)
    official = relaxed_report(videos, CHOLEC80, 1)
    strict = strict_report(videos, CHOLEC80)
    assert list(metrics)[:5] == [
        'phase/accuracy', 'phase/jaccard', 'phase/precision', 'phase/recall',
        'phase/strict_accuracy'
    ]
    assert metrics['phase/accuracy'] == official['accuracy']['mean']
    assert metrics['phase/jaccard'] == official['jaccard']['mean']
    assert metrics['phase/strict_f1'] == strict['f1']['mean']
    assert metrics['phase/strict_f1@50'] == strict['f1@50']['mean']
    assert metrics['phase/strict_edit'] == strict['edit']['mean']


def test_frame_samples_match_sequences(videos):
    cfg = dict(type='PhaseMetric', dataset='cholec80', fps=1, mode='strict')
    from_frames = evaluate(cfg, frame_samples(videos))
    from_sequences = evaluate(cfg, sequence_samples(videos), 1)
    assert from_frames == from_sequences
    assert list(from_frames) == [
        'phase/accuracy', 'phase/jaccard', 'phase/precision', 'phase/recall',
        'phase/f1', 'phase/edit', 'phase/f1@10', 'phase/f1@25', 'phase/f1@50'
    ]


def test_results_are_plain_numpy(videos):
    metric = VIDEO_METRICS.build(dict(type='PhaseMetric'))
    metric.process(None, [s.to_dict() for s in frame_samples(videos)[:2]])
    metric.process(None, sequence_samples(videos)[:1])
    for result in metric.results:
        assert isinstance(result['gt'], np.ndarray)
        assert isinstance(result['pred'], np.ndarray)


def test_bad_samples():
    metric = METRICS.build(dict(type='PhaseMetric'))
    with pytest.raises(KeyError, match="meta_keys=.*'video', 'frame'"):
        metric.process(None, [dict(pred_label=torch.tensor([0]),
                                   gt_label=torch.tensor([0]))])
    with pytest.raises(KeyError, match='pred_phase/gt_phase'):
        metric.process(None, [dict(pred_score=torch.zeros(7))])
    with pytest.raises(ValueError, match='whole number'):
        METRICS.build(dict(type='PhaseMetric', fps=0.25))
    frames = [
        DataSample(metainfo=dict(video='v', frame=3)).set_gt_label(
            0).set_pred_label(0) for _ in range(2)
    ]
    with pytest.raises(ValueError, match="frame 3 of video 'v'.* twice"):
        evaluate(dict(type='PhaseMetric'), frames)


def assert_png(path, min_width):
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    with Image.open(path) as image:
        assert image.width >= min_width and image.height >= 200


def test_out_dir_files_reevaluate_to_the_same_results(videos, tmp_path):
    out_dir = tmp_path / 'out'
    evaluate(dict(type='PhaseMetric', dataset='cholec80', fps=1,
                  mode='official', out_dir=str(out_dir)),
             frame_samples(videos))
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'confusion_matrix.png', 'results.json', 'video_a.txt',
        'video_a_pred.txt', 'video_a_ribbon.png', 'video_b.txt',
        'video_b_pred.txt', 'video_b_ribbon.png'
    ]
    assert (out_dir / 'video_b_pred.txt').read_text().splitlines()[:3] == [
        'Frame\tPhase', '0\tPreparation', '25\tPreparation'
    ]
    assert_png(out_dir / 'video_a_ribbon.png', 1000)
    assert_png(out_dir / 'confusion_matrix.png', 700)
    results = json.loads((out_dir / 'results.json').read_text())
    assert results['accuracy']['mean'] == pytest.approx(
        (7900 / 84 + 3400 / 35) / 2)
    again = evaluate_phases(read_label_dirs(out_dir, out_dir, 'cholec80'),
                            'cholec80', 1., 'official')
    assert json.loads(results_to_json(again, 'cholec80', 1.)) == results
    assert 'GallbladderDissection|' in format_report('official',
                                                     again['official'])
