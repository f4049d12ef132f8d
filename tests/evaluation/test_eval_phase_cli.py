"""tools/analysis/eval_phase.py end to end."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmdistill.evaluation import write_label_file

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'eval_phase.py'


def run_tool(*args):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=REPO)


def test_official_json_with_nulls(video_a, tmp_path):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt, pred = video_a
    write_label_file(gt_dir / 'video41-phase.txt', gt, 'cholec80',
                     frames=range(0, 25 * len(gt), 25))
    write_label_file(pred_dir / 'video41-phase_pred.txt', pred, 'cholec80',
                     frames=range(0, 25 * len(gt), 25))
    out = tmp_path / 'result.json'
    done = run_tool('--gt-dir', gt_dir, '--pred-dir', pred_dir, '--dataset',
                    'cholec80', '--fps', 1, '--mode', 'official', '--out', out)
    assert done.returncode == 0, done.stderr
    assert 'CalotTriangleDissection|    83.33|   100.00|   100.00' in \
        done.stdout
    result = json.loads(out.read_text())
    assert (result['dataset'], result['mode'], result['num_videos']) == \
        ('cholec80', 'official', 1)
    # One video: Packaging and Retraction are NaN -> Jaccard/recall means
    # are NaN (null); precision uses nanmean (see test_relaxed.py).
    assert result['jaccard'] == {'mean': None, 'std': None}
    assert result['recall'] == {'mean': None, 'std': None}
    assert result['precision'] == {'mean': 100.0, 'std': 0.0}
    assert result['accuracy'] == {'mean': pytest.approx(7900 / 84),
                                  'std': 0.0}
    assert result['per_phase']['GallbladderPackaging'] == {
        'jaccard': None, 'precision': None, 'recall': None}
    assert result['per_phase']['CalotTriangleDissection'] == {
        'jaccard': pytest.approx(1500 / 18), 'precision': 100.0,
        'recall': 100.0}
    assert [p.name for p in tmp_path.iterdir()].count('result.json') == 1
    assert not list(tmp_path.glob('.*partial'))


def test_clear_error_for_mismatched_files(tmp_path):
    write_label_file(tmp_path / 'v1.txt', [0, 0, 1], 'cholec80')
    write_label_file(tmp_path / 'v1_pred.txt', [0, 0], 'cholec80')
    proc = run_tool('--gt-dir', tmp_path, '--pred-dir', tmp_path,
                    '--dataset', 'cholec80', '--fps', '1', '--out',
                    tmp_path / 'r.json')
    assert proc.returncode != 0
    assert 'v1_pred.txt: 2 rows but its ground truth' in proc.stderr
    assert not (tmp_path / 'r.json').exists()
