"""Optional: the official port against the MATLAB script itself, in Octave.

Runs only when ``octave-cli`` (with the ``image`` package, for
``bwconncomp``) is installed and ``MMDISTILL_MATLAB_EVAL_DIR`` names a folder
holding the official ``Evaluate.m``, ``Evaluate_m2cai.m`` and
``ReadPhaseLabel.m`` (e.g. TMRNet's ``code/eval/result/matlab-eval``). The
driver below aggregates like ``Main.m`` / ``Main_m2cai.m`` and prints every
number; random videos exercise transitions, revisits and absent phases.
"""
import math
import os
import shutil
import subprocess

import numpy as np
import pytest

from mmdistill.datasets.phases import get_phases
from mmdistill.evaluation import relaxed_report, write_label_file

MATLAB_DIR = os.environ.get('MMDISTILL_MATLAB_EVAL_DIR')
pytestmark = pytest.mark.skipif(
    shutil.which('octave-cli') is None or not MATLAB_DIR,
    reason='needs octave-cli and MMDISTILL_MATLAB_EVAL_DIR')

# Octave's statistics package lacks nanmean/nanstd; these follow MATLAB and
# are only used when no other definition is on the path.
SHIMS = {
    'nanmean.m':
    'function m = nanmean(x, dim)\n'
    '  if nargin < 2, dim = find(size(x) ~= 1, 1); end\n'
    '  if isempty(dim), dim = 1; end\n'
    '  mask = ~isnan(x); x(~mask) = 0;\n'
    '  m = sum(x, dim) ./ sum(mask, dim);\nend\n',
    'nanstd.m':
    'function s = nanstd(x)\n'
    '  y = x(~isnan(x));\n'
    '  if isempty(y), s = NaN; else, s = std(y); end\nend\n',
}

DRIVER = """
for i = 1:numel(names)
  gt = ReadPhaseLabel([root names{i} '.txt']);
  pred = ReadPhaseLabel([root names{i} '_pred.txt']);
  gtLabelID = []; predLabelID = [];
  for j = 1:numel(phases)
    gtLabelID(find(strcmp(phases{j}, gt{2}))) = j;
    predLabelID(find(strcmp(phases{j}, pred{2}))) = j;
  end
  [jaccard(:,i), prec(:,i), rec(:,i), acc(i)] = evaluate(gtLabelID, ...
    predLabelID, fps);
end
jaccard(jaccard > 100) = 100; prec(prec > 100) = 100; rec(rec > 100) = 100;
J = nanmean(jaccard, 2); P = nanmean(prec, 2); R = nanmean(rec, 2);
printf('%.12g ', mean(acc), std(acc), mean(J), std(J), nanmean(P), ...
       nanstd(P), mean(R), std(R), [J P R]', acc);
"""


def random_video(rng, num_phases):
    present = [p for p in range(num_phases) if rng.random() > 0.2] or [0]
    if rng.random() < 0.3:
        i = rng.integers(len(present))
        present.insert(i + 1 + rng.integers(len(present) - i), present[i])
    lengths = rng.integers(1, 45, len(present))
    gt = np.repeat(present, lengths)
    pred = gt.copy()
    for b in np.cumsum(lengths)[:-1]:
        shift = rng.integers(-15, 16)
        if shift > 0:
            pred[b:b + shift] = gt[b - 1]
        else:
            pred[max(b + shift, 0):b] = gt[b]
    noise = rng.random(gt.size) < 0.08
    pred[noise] = np.clip(gt[noise] + rng.integers(-2, 3, noise.sum()), 0,
                          num_phases - 1)
    return gt, pred


@pytest.mark.parametrize('dataset, fps, num_videos', [('cholec80', 1, 1),
                                                      ('cholec80', 0.5, 6),
                                                      ('m2cai16', 1, 6)])
def test_matches_octave(tmp_path, dataset, fps, num_videos):
    phases = get_phases(dataset)
    rng = np.random.default_rng(num_videos)
    videos = {f'v{i}': random_video(rng, len(phases))
              for i in range(num_videos)}
    for name, (gt, pred) in videos.items():
        write_label_file(tmp_path / f'{name}.txt', gt, dataset)
        write_label_file(tmp_path / f'{name}_pred.txt', pred, dataset)
    for name, text in SHIMS.items():
        (tmp_path / name).write_text(text)
    evaluate = 'Evaluate_m2cai' if dataset == 'm2cai16' else 'Evaluate'
    setup = (f"pkg load image; addpath('{MATLAB_DIR}'); "
             f"addpath('{tmp_path}', '-end'); root = '{tmp_path}/'; "
             f"fps = {fps}; evaluate = @{evaluate}; "
             f"phases = {{{','.join(repr(p) for p in phases)}}}; "
             f"names = {{{','.join(repr(n) for n in videos)}}};")
    out = subprocess.run(['octave-cli', '--quiet', '--eval', setup + DRIVER],
                         capture_output=True, text=True, check=True).stdout
    matlab = [float(x) for x in out.split()]

    report = relaxed_report(videos, phases, fps)
    ours = [report[k][s] for k in ('accuracy', 'jaccard', 'precision',
                                   'recall') for s in ('mean', 'std')]
    ours += [report['per_phase'][p][k] for p in phases
             for k in ('jaccard', 'precision', 'recall')]
    ours += [report['per_video'][n]['accuracy'] for n in videos]
    assert len(matlab) == len(ours)
    for m, o in zip(matlab, ours):
        assert (math.isnan(m) and math.isnan(o)) or m == pytest.approx(o)
