"""tools/infer_video.py as a user runs it: one command on a folder, its
files read back by hand and by tools/analysis/eval_phase.py, and the early
failures. What the files contain numerically (accuracy, prefix invariance)
is tests/apis/test_inferencer.py's."""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from typing import List, Optional

import cv2
import decord
import numpy as np
import pytest
import torch
from inference_models import TrainedModels, trained_models

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation.label_files import write_label_file
from mmdistill.models.temporal import TemporalPhaseModel

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUMMARY = re.compile(r'^(.+): (\d+) frames at 1 fps \(offline\) in '
                     r'([\d.]+) s, ([\d.]+) frames/s$', re.M)


def _run(args: List[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join((ROOT, osp.join(ROOT, 'tests'))))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def _infer(models: TrainedModels, videos: List[str], out_dir: str,
           temporal_checkpoint: Optional[str] = None,
           *extra: str) -> subprocess.CompletedProcess:
    return _run([
        'tools/infer_video.py', *videos, '--frame-config',
        models.frame_config, '--frame-checkpoint', models.frame_checkpoint,
        '--temporal-config', models.temporal_config, '--temporal-checkpoint',
        temporal_checkpoint or models.temporal_checkpoint, '--device', 'cpu',
        '--out-dir', out_dir, *extra
    ])


@pytest.fixture(scope='module')
def models(tmp_path_factory, synthetic_raw_dir,
           synthetic_data_root) -> TrainedModels:
    return trained_models(tmp_path_factory, synthetic_raw_dir,
                          synthetic_data_root)


@pytest.fixture(scope='module')
def run(models, tmp_path_factory):
    """One command: a folder holding the unseen video, with --overlay."""
    root = tmp_path_factory.mktemp('infer_cli')
    folder = root / 'new videos'
    folder.mkdir()
    shutil.copy(models.video(), folder)
    out_dir = root / 'out'
    return _infer(models, [str(folder)], str(out_dir), None,
                  '--overlay'), out_dir


def test_summary_and_progress(models, run):
    result, _ = run
    assert result.returncode == 0, result.stderr[-3000:]
    assert SUMMARY.search(result.stdout), result.stdout[-3000:]
    (video, frames, seconds, rate), = SUMMARY.findall(result.stdout)
    assert video.endswith(osp.join('new videos', 'video04.mp4'))
    assert int(frames) == len(models.labels())
    # seconds are printed to 0.1 s
    assert abs(int(frames) / float(rate) - float(seconds)) <= 0.05 + 1e-6
    # tqdm's bar: done/total [elapsed<ETA, rate]
    assert re.search(rf'{frames}/{frames} \[\d\d:\d\d<\d\d:\d\d',
                     result.stderr), result.stderr[-3000:]


def _read_prediction(path: str) -> np.ndarray:
    """The official format, read by hand: a header, then one
    ``k<TAB>phase-name`` row per sample k = 0, 1, ..."""
    phases = get_phases('cholec80')
    with open(path) as f:
        header, *rows = f.read().splitlines()
    assert header.split('\t') == ['Frame', 'Phase']
    frames, names = zip(*(row.split('\t') for row in rows))
    assert [int(k) for k in frames] == list(range(len(rows)))
    return np.array([phases.index(name) for name in names])


def test_prediction_round_trips_through_eval_phase(models, run, tmp_path):
    result, out_dir = run
    assert result.returncode == 0, result.stderr[-3000:]
    labels = _read_prediction(str(out_dir / 'video04_pred.txt'))
    gt = models.labels()
    assert len(labels) == len(gt)
    write_label_file(str(tmp_path / 'gt' / 'video04.txt'), gt, 'cholec80')
    report = tmp_path / 'report.json'
    evaluation = _run([
        'tools/analysis/eval_phase.py', '--gt-dir',
        str(tmp_path / 'gt'), '--pred-dir',
        str(out_dir), '--dataset', 'cholec80', '--fps', '1', '--mode',
        'strict', '--out',
        str(report)
    ])
    assert evaluation.returncode == 0, evaluation.stderr[-3000:]
    document = json.loads(report.read_text())
    assert document['mode'] == 'strict' and document['num_videos'] == 1
    accuracy = document['accuracy']['mean']
    assert accuracy == pytest.approx(100 * (labels == gt).mean())


def test_probabilities_table(run):
    result, out_dir = run
    assert result.returncode == 0, result.stderr[-3000:]
    with open(out_dir / 'video04_probs.csv') as f:
        header = f.readline().strip().split(',')
        table = np.loadtxt(f, delimiter=',')
    assert header == ['time', *get_phases('cholec80')]
    np.testing.assert_allclose(table[:, 0], np.arange(len(table)))
    np.testing.assert_allclose(table[:, 1:].sum(axis=1), 1, atol=1e-5)
    labels = _read_prediction(str(out_dir / 'video04_pred.txt'))
    np.testing.assert_array_equal(table[:, 1:].argmax(axis=1), labels)


def test_ribbon_and_overlay(models, run):
    result, out_dir = run
    assert result.returncode == 0, result.stderr[-3000:]
    ribbon = cv2.imread(str(out_dir / 'video04_ribbon.png'))
    assert ribbon is not None and ribbon.shape[1] > ribbon.shape[0] > 0
    reader = decord.VideoReader(str(out_dir / 'video04_overlay.mp4'))
    assert len(reader) == len(models.labels())
    assert reader[0].shape == (128, 160, 3)  # the source's native size
    assert sorted(os.listdir(out_dir)) == [
        'video04_overlay.mp4', 'video04_pred.txt', 'video04_probs.csv',
        'video04_ribbon.png'
    ]


def _tcn_64d(path: str) -> str:
    torch.manual_seed(0)
    tcn = TemporalPhaseModel(
        dict(type='MultiStageTCN', in_channels=64, num_classes=7,
             num_stages=2, num_layers=4, num_f_maps=16, causal=True))
    torch.save(dict(state_dict=tcn.state_dict()), path)
    return path


@pytest.mark.parametrize('fault', ['classes', 'temporal-dim', 'corrupt'])
def test_early_failure_names_the_file(models, tmp_path, fault):
    """Each exits 1 with one error line naming the file, before any video
    is inferred (the good video listed first gets no outputs)."""
    videos, extra, temporal = [models.video()], [], None
    if fault == 'classes':
        named, extra = models.frame_checkpoint, ['--dataset', 'm2cai16']
    elif fault == 'temporal-dim':
        named = temporal = _tcn_64d(str(tmp_path / 'tcn_64.pth'))
    else:
        named = str(tmp_path / 'broken.mp4')
        with open(named, 'wb') as f:
            f.write(b'\x00not a video' * 100)
        videos.append(named)
    out_dir = tmp_path / 'out'
    result = _infer(models, videos, str(out_dir), temporal, *extra)
    assert result.returncode == 1, result.stdout + result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith('error: ') and named in error, result.stderr
    assert 'Traceback' not in result.stderr
    assert not out_dir.exists() or not os.listdir(out_dir)
