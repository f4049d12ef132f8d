"""The phase benchmark end to end, tools/benchmark_phase.py and
configs/benchmarks/phase/.

The whole comparison (frame probe -> features -> temporal model -> test ->
report) runs once per module on six short synthetic videos (train 3, val 1,
test 2), with two random-init ResNet-18 backbones, 32 px frames and one
epoch per training.
"""
import glob
import importlib.metadata
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List

import numpy as np
import pytest
import torch
from scipy import stats
from torch.nn.modules.batchnorm import _BatchNorm
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdistill.apis import (BenchmarkError, Settings, SplitLeakError,
                            StageError, parse_checkpoints, plan_runs,
                            run_benchmark)
from mmdistill.apis.report import TITLES
from mmdistill.apis.runner import has_validation
from mmdistill.apis.video_scores import METRICS
from mmdistill.datasets import (PrepareOptions, generate_synthetic_dataset,
                                prepare_dataset)
from mmdistill.datasets.splits import low_data_subset
from mmdistill.registry import MODELS
from mmdistill.utils import (get_state_dict, load_checkpoint_file,
                             save_checkpoint_file)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PHASE_CONFIGS = osp.join(REPO, 'configs', 'benchmarks', 'phase')
TRAIN = ['video01', 'video02', 'video03']
TEST = ['video05', 'video06']
FRAME_CONFIG = """
_base_ = [{base!r}]
meta_keys = ('sample_idx', 'img_path', 'video', 'frame')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=32, num_workers=0, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(num_workers=0, dataset=dict(pipeline=train_pipeline))
train_cfg = dict(max_epochs=1)
"""
TEMPORAL_CONFIG = """
_base_ = [{base!r}]
model = dict(tcn=dict(num_layers=2, num_f_maps=8))
train_cfg = dict(max_epochs=1)
"""
METHODS = ('random-a', 'random-b')


def write_backbone(path: str, seed: int) -> Dict[str, torch.Tensor]:
    """A random-init ResNet-18 in the backbone-only format; its weights."""
    torch.manual_seed(seed)
    backbone = MODELS.build(dict(type='ResNet', depth=18))
    backbone.init_weights()
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    save_checkpoint_file(dict(state_dict=state), path)
    return state


def table_rows(markdown: str, title: str) -> List[List[str]]:
    """Cells of the rows of the table under heading ``title``."""
    section = markdown.split(f'## {title}\n')[1].split('\n## ')[0]
    rows = [line for line in section.splitlines() if line.startswith('|')]
    return [[c.strip() for c in row.strip('|').split('|')] for row in rows]


def benchmark(work_dir, checkpoints, fractions, frame_config,
              temporal_config, data_root, frame_options=None) -> str:
    """The benchmark through the package API, one seed per fraction."""
    settings = Settings(
        work_dir=str(work_dir),
        frame_config=str(frame_config),
        temporal_config=temporal_config and str(temporal_config),
        frame_options=frame_options or {},
        data_root=data_root)
    return run_benchmark(settings,
                         plan_runs(parse_checkpoints(checkpoints), fractions,
                                   1))


@pytest.fixture(scope='module')
def phase_data_root(tmp_path_factory) -> str:
    """Six synthetic videos of about 26 s at 1 fps, 64 px; the 'synthetic'
    scheme gives train 01-03, val 04, test 05-06."""
    raw = str(tmp_path_factory.mktemp('raw'))
    generate_synthetic_dataset(raw, num_videos=6, seconds=(24., 28.))
    root = str(tmp_path_factory.mktemp('prepared'))
    prepare_dataset(
        raw, root, 'cholec80', PrepareOptions(fps=1, size=(64, 64)),
        progress=False)
    return root


@pytest.fixture(scope='module')
def bench(tmp_path_factory, phase_data_root):
    """The comparison run once: work dir, settings, input weights."""
    root = tmp_path_factory.mktemp('benchmark')
    frame_config = root / 'frame.py'
    frame_config.write_text(
        FRAME_CONFIG.format(
            base=osp.join(PHASE_CONFIGS,
                          'linear_resnet18_1xb16-coslr-2e_synthetic.py')))
    temporal_config = root / 'temporal.py'
    temporal_config.write_text(
        TEMPORAL_CONFIG.format(
            base=osp.join(REPO, 'configs', 'benchmarks', 'temporal',
                          'tecno_1xb1-10e_synthetic-features.py')))
    weights, checkpoints = {}, []
    for seed, method in enumerate(METHODS):
        path = str(root / f'{method}.pth')
        weights[method] = write_backbone(path, seed)
        checkpoints.append(f'{method}={path}')
    kwargs = dict(
        work_dir=root / 'work',
        checkpoints=checkpoints,
        fractions=[1.0, 0.5],
        frame_config=frame_config,
        temporal_config=temporal_config,
        data_root=phase_data_root)
    report = benchmark(**kwargs)
    with open(report) as f:
        markdown = f.read()
    return dict(
        kwargs,
        kwargs=kwargs,
        work_dir=str(root / 'work'),
        report=report,
        markdown=markdown,
        weights=weights)


def run_results(work_dir: str,
                method: str,
                pct: str,
                stage: str = 'test') -> dict:
    """The results.json PhaseMetric wrote for people (independent of the
    per-video scores the report computes)."""
    path = osp.join(work_dir, 'runs', method, f'{pct}pct', 'seed0', stage,
                    'out', 'results.json')
    with open(path) as f:
        return json.load(f)


def per_video(results: dict, mode: str, metric: str) -> np.ndarray:
    videos = results[mode]['per_video']
    return np.array([videos[v][metric] for v in sorted(videos)], float)


CELL = re.compile(r'(\d+\.\d) \[(\d+\.\d), (\d+\.\d)\]')


def scipy_interval(values: np.ndarray) -> tuple:
    """Percentile bootstrap CI of the mean with scipy, the report's seed."""
    ci = stats.bootstrap((values, ), np.mean, n_resamples=2000,
                         method='percentile',
                         rng=np.random.default_rng(0)).confidence_interval
    return ci.low, ci.high


def test_table_has_every_run_its_numbers_and_cis(bench):
    expected_rows = [[method, labels, '1'] for method in METHODS
                     for labels in ('100 %', '50 %')]
    for mode, metrics in METRICS.items():
        header, _, *rows = table_rows(bench['markdown'], TITLES[mode][0])
        names = [m.capitalize() for m in metrics]
        assert header == ['Method', 'Labels', 'Seeds', *names]
        assert [row[:3] for row in rows] == expected_rows
        for row in rows:
            results = run_results(bench['work_dir'], row[0],
                                  row[1].split()[0])
            for metric, cell in zip(metrics, row[3:]):
                # One seed: the number without spread, then the CI.
                value, low, high = CELL.fullmatch(cell).groups()
                assert value == f'{results[mode][metric]["mean"]:.1f}'
                assert float(low) <= float(value) <= float(high)
                if mode == 'strict' or metric == 'accuracy':
                    ref = scipy_interval(per_video(results, mode, metric))
                    assert (low, high) == tuple(f'{x:.1f}' for x in ref)


def test_paired_comparisons_have_differences_and_p_values(bench):
    for mode, metrics in METRICS.items():
        title = f'Paired comparisons, {TITLES[mode][0].lower()}'
        header, _, *rows = table_rows(bench['markdown'], title)
        assert header == [
            'Labels', 'A', 'B', 'Metric', 'A - B', '95 % CI',
            'p (bootstrap)', 'p (Wilcoxon)'
        ]
        assert [row[:4] for row in rows] == [[
            labels, *METHODS, metric.capitalize()
        ] for labels in ('100 %', '50 %') for metric in metrics]
        for row, metric in zip(rows, list(metrics) * 2):
            pct = row[0].split()[0]
            a, b = (run_results(bench['work_dir'], m, pct) for m in METHODS)
            diff = a[mode][metric]['mean'] - b[mode][metric]['mean']
            assert row[4] == f'{diff:+.1f}'
            assert re.fullmatch(r'\[-?\d+\.\d, -?\d+\.\d\]', row[5])
            assert 0 < float(row[6]) <= 1
            if mode == 'official' and metric != 'accuracy':
                assert row[7] == 'n/a'
                continue
            d = per_video(a, mode, metric) - per_video(b, mode, metric)
            expected = 'n/a' if not d.any() else \
                f'{stats.wilcoxon(d).pvalue:.3f}'
            assert row[7] == expected


def test_protocol_card(bench):
    markdown = bench['markdown']
    assert markdown.startswith('# Phase recognition benchmark\n\n'
                               '## Protocol\n')
    card = markdown.split('## Protocol\n')[1].split('\n## ')[0]
    commit = subprocess.run(['git', '-C', REPO, 'rev-parse', 'HEAD'],
                            capture_output=True, text=True).stdout.strip()
    for line in (
            '- Dataset: cholec80; split scheme `synthetic`; videos per '
            'split: train 3, val 1, test 2',
            '- Test videos (2): video05, video06',
            '- Frame rate: 1 fps',
            'best `phase/accuracy` on the 1 validation videos (video04), '
            'never on test videos',
            'Seeds: 0',
            "skipped, unlike scikit-learn's default",
            f"torch {importlib.metadata.version('torch')}",
            f'commit {commit}',
    ):
        assert line in card, line


def test_label_efficiency_plot(bench):
    path = osp.join(bench['work_dir'], 'label_efficiency.png')
    with open(path, 'rb') as f:
        header = f.read(24)
    assert header[:8] == b'\x89PNG\r\n\x1a\n'
    # 9 panels (4 official, 5 strict metrics): 2 rows of 5 at 3 x 2.6 in.
    width, height = (int.from_bytes(header[16:20], 'big'),
                     int.from_bytes(header[20:24], 'big'))
    assert (width, height) == (1500, 520)
    assert '](label_efficiency.png)' in bench['markdown']


def test_ribbons_are_copied_and_shown(bench):
    ribbons = sorted(glob.glob(osp.join(bench['work_dir'], 'ribbons', '*')))
    names = [osp.basename(p) for p in ribbons]
    assert names == [f'{method}_video05_ribbon.png' for method in METHODS]
    for path in ribbons:
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
        assert f'](ribbons/{osp.basename(path)})' in bench['markdown']


def stage_outputs(work_dir: str, key: str, stage: str) -> dict:
    with open(osp.join(work_dir, 'runs', key, stage, 'done.json')) as f:
        return json.load(f)['outputs']


def test_linear_probe_leaves_the_backbone_unchanged(bench):
    best = stage_outputs(bench['work_dir'], 'random-b/100pct/seed0',
                         'frame')['checkpoint_path']
    assert osp.basename(best) == 'best_phase_accuracy_epoch_1.pth'
    state = get_state_dict(load_checkpoint_file(best))
    for key, value in bench['weights']['random-b'].items():
        # Frozen stages and BN in eval mode: weights and BN statistics.
        assert torch.equal(state[key], value), key


def test_low_data_runs_use_their_subset_everywhere(bench):
    """The 50 % run trains frames and temporal model on its subset, which
    the frame stage returns from the dataset it trained on."""
    subset = low_data_subset(TRAIN, fraction=0.5, seed=0)
    assert 0 < len(subset) < len(TRAIN)
    for pct, train_videos in (('100', TRAIN), ('50', subset)):
        key = f'random-a/{pct}pct/seed0'
        frame = stage_outputs(bench['work_dir'], key, 'frame')
        assert frame['train_videos'] == train_videos
        if pct == '100':
            assert 'low_data_path' not in frame
        else:
            with open(frame['low_data_path']) as f:
                record = json.load(f)
            assert (record['videos'], record['pool'], record['fraction'],
                    record['seed']) == (subset, TRAIN, 0.5, 0)
        features = stage_outputs(bench['work_dir'], key, 'features')
        with open(osp.join(features['features_path'], 'index.json')) as f:
            videos = json.load(f)['videos']
        expected = dict.fromkeys(train_videos, 'train')
        expected.update(video04='val', video05='test', video06='test')
        assert {v: entry['split'] for v, entry in videos.items()} == expected
        assert features['videos'] == dict(
            train=train_videos, val=['video04'], test=TEST)
    assert f'- 50 %, seed 0: {", ".join(subset)}\n' in bench['markdown']


def test_rerun_redoes_only_unfinished_stages(bench):
    runs = osp.join(bench['work_dir'], 'runs')
    done = sorted(glob.glob(osp.join(runs, '**', 'done.json'), recursive=True))
    assert len(done) == 4 * 4
    # An interrupted frame training (checkpoints, no done.json) and a test
    # whose output was deleted.
    frame_dir = osp.join(runs, 'random-b', '100pct', 'seed0', 'frame')
    os.remove(osp.join(frame_dir, 'done.json'))
    lost = osp.join(runs, 'random-a', '50pct', 'seed0', 'test', 'out',
                    'results.json')
    os.remove(lost)
    redone = {
        osp.join(frame_dir, 'done.json'),
        osp.join(osp.dirname(osp.dirname(lost)), 'done.json')
    }
    stamps = {p: os.stat(p).st_mtime_ns for p in done if p not in redone}
    logs_before = len(glob.glob(osp.join(frame_dir, '*', '*.log')))

    assert benchmark(**bench['kwargs']) == bench['report']
    assert {p: os.stat(p).st_mtime_ns for p in stamps} == stamps
    assert all(osp.isfile(p) for p in redone) and osp.isfile(lost)
    # The training resumed at its last epoch (1 of 1): same best checkpoint,
    # from the checkpoint hook's record.
    assert len(glob.glob(osp.join(frame_dir, '*', '*.log'))) == logs_before + 1
    checkpoint = stage_outputs(bench['work_dir'], 'random-b/100pct/seed0',
                               'frame')['checkpoint_path']
    assert osp.basename(checkpoint) == 'best_phase_accuracy_epoch_1.pth'
    with open(bench['report']) as f:
        assert f.read() == bench['markdown']


def test_dry_run_lists_stages_with_estimates(bench):
    """The command line, with the durations the benchmark recorded."""
    args = [
        sys.executable, 'tools/benchmark_phase.py', '--checkpoints',
        *bench['checkpoints'], '--fractions', '1.0', '0.5', '0.25',
        '--seeds-per-fraction', '2', '--frame-config',
        str(bench['frame_config']), '--temporal-config',
        str(bench['temporal_config']), '--work-dir', bench['work_dir'],
        '--dry-run'
    ]
    proc = subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, check=True,
        env=dict(os.environ, PYTHONPATH=REPO))
    lines = proc.stdout.splitlines()
    assert lines[0].startswith('Planned: 10 runs, 40 stages, 24 to run: '
                               'about ')
    assert 'from 16 recorded stage durations' in lines[0]
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in lines[4:]]
    assert len(rows) == 40
    assert rows[0][:3] == ['random-a/100pct/seed0', 'frame', 'done']
    assert rows[0][3] == '-'
    assert rows[8][:3] == ['random-a/50pct/seed1', 'frame', 'to run']
    assert re.fullmatch(r'\d+ s|\d+ min \d\d s', rows[8][3])
    assert not osp.exists(osp.join(bench['work_dir'], 'runs', 'random-a',
                                   '50pct', 'seed1'))


def test_other_options_in_the_same_work_dir_are_refused(bench):
    with pytest.raises(BenchmarkError) as err:
        benchmark(**bench['kwargs'],
                  frame_options={'train_cfg.max_epochs': 2})
    message = str(err.value)
    assert "holds stage 'frame' of run random-a/100pct/seed0" in message
    assert 'options.train_cfg.max_epochs: <unset> -> 2' in message


def test_test_videos_in_training_are_refused(bench):
    with pytest.raises(SplitLeakError) as err:
        benchmark(**bench['kwargs'],
                  frame_options={'val_dataloader.dataset.videos': 'test'})
    message = str(err.value)
    assert "val_dataloader.dataset.videos='test' selects the test split" in \
        message
    assert f'val_dataloader uses the test videos {TEST}' in message
    assert "save_best='phase/accuracy' would select the model" in message


def test_frame_level_results_reuse_the_frame_stages(bench):
    frame_done = osp.join(bench['work_dir'], 'runs', 'random-a', '50pct',
                          'seed0', 'frame', 'done.json')
    stamp = os.stat(frame_done).st_mtime_ns
    report = benchmark(**dict(
        bench['kwargs'],
        checkpoints=bench['checkpoints'][:1],
        fractions=[0.5],
        temporal_config=None))
    assert os.stat(frame_done).st_mtime_ns == stamp
    assert osp.basename(report) == 'results_frame.md'
    with open(report) as f:
        markdown = f.read()
    rows = table_rows(markdown, TITLES['official'][0])[2:]
    results = run_results(bench['work_dir'], 'random-a', '50', 'frame-test')
    accuracy = results['official']['accuracy']['mean']
    assert len(rows) == 1
    assert rows[0][:3] == ['random-a', '50 %', '1']
    assert rows[0][3].startswith(f'{accuracy:.1f} [')
    # One method: nothing to compare.
    assert '## Paired comparisons' not in markdown
    for name in ('ribbons_frame/random-a_video05_ribbon.png',
                 'label_efficiency_frame.png'):
        assert osp.isfile(osp.join(bench['work_dir'], name))


def test_without_validation_the_last_epochs_are_used(bench, tmp_path):
    """The paper's Cholec80 split and M2CAI16 have no validation videos."""
    work_dir = tmp_path / 'work'
    benchmark(**dict(
        bench['kwargs'],
        work_dir=work_dir,
        checkpoints=bench['checkpoints'][:1],
        fractions=[1.0],
        frame_options={
            'val_dataloader': None,
            'val_cfg': None,
            'val_evaluator': None,
            'default_hooks.checkpoint.save_best': None
        }))
    run_dir = work_dir / 'runs' / 'random-a' / '100pct' / 'seed0'
    for stage in ('frame', 'temporal'):
        checkpoint = stage_outputs(str(work_dir), 'random-a/100pct/seed0',
                                   stage)['checkpoint_path']
        assert checkpoint == str(run_dir / stage / 'epoch_1.pth')
        assert not glob.glob(str(run_dir / stage / 'best_*.pth'))
    with open(run_dir / 'features' / 'index.json') as f:
        splits = {v: e['split'] for v, e in json.load(f)['videos'].items()}
    assert splits == dict(
        dict.fromkeys(TRAIN, 'train'), video05='test', video06='test')
    with open(work_dir / 'results.md') as f:
        assert 'Model selection (frame and temporal model): none: the last ' \
            'epoch' in f.read()


def test_failed_stage_names_stage_and_log(bench, tmp_path):
    wrong = str(tmp_path / 'wrong.pth')
    save_checkpoint_file(
        dict(state_dict={'backbone.conv1.weight': torch.zeros(8, 3, 3, 3)}),
        wrong)
    with pytest.raises(StageError) as err:
        benchmark(**dict(
            bench['kwargs'],
            work_dir=tmp_path / 'work',
            checkpoints=[f'r50={wrong}'],
            fractions=[1.0],
            temporal_config=None))
    message = str(err.value)
    assert "stage 'frame' of run r50/100pct/seed0 failed" in message
    assert 'CheckpointError' in message
    log = re.search(r'stage log: (\S+)', message).group(1)
    assert log.startswith(str(tmp_path / 'work' / 'runs' / 'r50'))
    assert osp.isfile(log)
    assert not osp.exists(tmp_path / 'work' / 'runs' / 'r50' / '100pct' /
                          'seed0' / 'frame' / 'done.json')


CHOLEC80 = [
    'linear_resnet50_1xb64-coslr-20e_cholec80.py',
    'finetune_resnet50_1xb32-coslr-20e_cholec80.py',
    'finetune_resnet50_1xb32-coslr-20e_cholec80-12.5pct.py',
    'finetune_resnet50_1xb32-coslr-20e_cholec80-25pct.py',
]
M2CAI16 = [
    'linear_resnet50_1xb64-coslr-20e_m2cai16.py',
    'finetune_resnet50_1xb32-coslr-20e_m2cai16.py',
]
SYNTHETIC = [
    'linear_resnet18_1xb16-coslr-2e_synthetic.py',
    'finetune_resnet18_1xb16-coslr-2e_synthetic.py',
]


def test_every_config_is_tested():
    listed = {osp.basename(p) for p in glob.glob(f'{PHASE_CONFIGS}/*.py')}
    assert listed == set(CHOLEC80 + M2CAI16 + SYNTHETIC)


@pytest.mark.parametrize('name', CHOLEC80 + M2CAI16 + SYNTHETIC)
def test_probe_configs(name):
    cfg = Config.fromfile(osp.join(PHASE_CONFIGS, name))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    head = model.head.fc
    backbone = list(model.backbone.parameters())
    num_classes = 8 if name in M2CAI16 else 7
    assert head.out_features == num_classes
    assert model.backbone.init_cfg['part'] == 'backbone'
    if name.startswith('linear'):
        assert cfg.train_dataloader.drop_last
        model.train()
        assert not any(p.requires_grad for p in backbone)
        norms = [
            m for m in model.backbone.modules() if isinstance(m, _BatchNorm)
        ]
        assert norms and not any(m.training for m in norms)
    else:
        assert all(p.requires_grad for p in backbone)
    test_metrics = [e['type'] for e in cfg.test_evaluator]
    assert test_metrics == ['PhaseMetric', 'Accuracy']
    assert cfg.test_evaluator[0]['mode'] == 'both'
    assert cfg.test_dataloader.dataset.videos == 'test'
    if name in M2CAI16:
        # No validation split: no selection, the last epoch is used.
        assert not has_validation(cfg)
        assert cfg.default_hooks.checkpoint.save_best is None
    else:
        assert has_validation(cfg)
        assert cfg.val_dataloader.dataset.videos == 'val'
        assert cfg.default_hooks.checkpoint.save_best == 'phase/accuracy'
    fraction = cfg.train_dataloader.dataset.get('fraction')
    expected = re.search(r'-([\d.]+)pct', name)
    assert fraction == (float(expected.group(1)) / 100 if expected else None)
