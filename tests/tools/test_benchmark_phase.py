"""tools/benchmark_phase.py and configs/benchmarks/phase/.

The whole comparison (frame probe -> features -> temporal model -> test ->
table) runs once per module on the synthetic videos, with two random-init
ResNet-18 backbones, 32 px frames and one epoch per training.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import re
from typing import Dict, List

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdistill.datasets.splits import low_data_subset
from mmdistill.registry import MODELS
from mmdistill.utils import (get_state_dict, load_checkpoint_file,
                             save_checkpoint_file)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PHASE_CONFIGS = osp.join(REPO, 'configs', 'benchmarks', 'phase')
spec = importlib.util.spec_from_file_location(
    'benchmark_phase', osp.join(REPO, 'tools', 'benchmark_phase.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

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
    """Cells of the data rows of the table under heading ``title``."""
    section = markdown.split(f'## {title}')[1].split('##')[0]
    rows = [line for line in section.splitlines() if line.startswith('|')]
    return [[c.strip() for c in row.strip('|').split('|')] for row in rows]


@pytest.fixture(scope='module')
def bench(tmp_path_factory, synthetic_data_root):
    """The comparison run once: work dir, arguments, input weights."""
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
    work_dir = str(root / 'work')
    common = [
        '--splits-per-fraction', '1', '--frame-config',
        str(frame_config), '--data-root', synthetic_data_root, '--work-dir',
        work_dir
    ]
    args = [
        '--checkpoints', *checkpoints, '--fractions', '1.0', '0.5',
        '--temporal-config',
        str(temporal_config), *common
    ]
    return dict(
        work_dir=work_dir,
        args=args,
        common=common,
        checkpoints=checkpoints,
        report=tool.main(args),
        weights=weights,
        frame_config=str(frame_config),
        temporal_config=str(temporal_config))


def run_results(work_dir: str,
                method: str,
                pct: str,
                stage: str = 'test') -> dict:
    path = osp.join(work_dir, 'runs', method, f'{pct}pct', 'split0', stage,
                    'out', 'results.json')
    with open(path) as f:
        return json.load(f)


def test_table_has_every_run_and_its_numbers(bench):
    with open(bench['report']) as f:
        markdown = f.read()
    expected_rows = [[method, labels, '1'] for method in METHODS
                     for labels in ('100 %', '50 %')]
    for mode, (title, _, metrics) in tool.TABLES.items():
        header, _, *rows = table_rows(markdown, title)
        names = [m.capitalize() for m in metrics]
        assert header == ['Method', 'Labels', 'Splits', *names]
        assert [row[:3] for row in rows] == expected_rows
        for row in rows:
            pct = row[1].split()[0]
            results = run_results(bench['work_dir'], row[0], pct)[mode]
            # One split: the cell is that split's number, no spread.
            assert row[3:] == [f'{results[m]["mean"]:.1f}' for m in metrics]
            assert all(re.fullmatch(r'\d+\.\d', cell) for cell in row[3:])


def test_ribbons_are_copied_and_shown(bench):
    with open(bench['report']) as f:
        markdown = f.read()
    ribbons = sorted(glob.glob(osp.join(bench['work_dir'], 'ribbons', '*')))
    names = [osp.basename(p) for p in ribbons]
    # The synthetic scheme's test split of four videos is video04.
    assert names == [f'{method}_video04_ribbon.png' for method in METHODS]
    for path in ribbons:
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
        assert f'](ribbons/{osp.basename(path)})' in markdown


def test_linear_probe_leaves_the_backbone_unchanged(bench):
    frame_dir = osp.join(bench['work_dir'], 'runs', 'random-b', '100pct',
                         'split0', 'frame')
    with open(osp.join(frame_dir, 'done.json')) as f:
        best = json.load(f)['checkpoint']
    assert osp.basename(best) == 'best_phase_accuracy_epoch_1.pth'
    state = get_state_dict(load_checkpoint_file(best))
    for key, value in bench['weights']['random-b'].items():
        # Frozen stages and BN in eval mode: weights and BN statistics.
        assert torch.equal(state[key], value), key


def test_low_data_runs_use_their_subset_everywhere(bench):
    """The 50 % run trains frames and temporal model on 1 of 2 videos."""
    subset = low_data_subset(['video01', 'video02'], fraction=0.5, seed=0)
    for pct, train_videos in (('100', ['video01', 'video02']), ('50', subset)):
        features = osp.join(bench['work_dir'], 'runs', 'random-a', f'{pct}pct',
                            'split0', 'features', 'index.json')
        with open(features) as f:
            videos = json.load(f)['videos']
        expected = dict.fromkeys(train_videos, 'train')
        expected.update(video03='val', video04='test')
        assert {v: entry['split'] for v, entry in videos.items()} == expected
    with open(bench['report']) as f:
        assert f'- 50 %, split 0: {", ".join(subset)}\n' in f.read()


def test_low_data_section_marks_repeated_subsets(tmp_path):
    runs = tool.plan_runs({'a': 'a.pth', 'b': 'b.pth'}, [1.0, 0.5], 3)
    for run, videos in zip(runs[1:4],
                           (['v2', 'v3'], ['v1', 'v3'], ['v2', 'v3'])):
        log_dir = tmp_path / 'runs' / run.key / 'frame' / '20260101_000000'
        log_dir.mkdir(parents=True)
        (log_dir / 'low_data_synthetic_train_2of3_seed0.json').write_text(
            json.dumps(dict(videos=videos)))
    settings = tool.Settings(str(tmp_path), 'frame.py', None)
    assert tool.low_data_section(settings, runs) == [
        '## Low-data splits', '', '- 50 %, split 0: v2, v3',
        '- 50 %, split 1: v1, v3',
        '- 50 %, split 2: v2, v3 (the videos of split 0)', ''
    ]


def test_rerun_redoes_only_unfinished_stages(bench):
    runs = osp.join(bench['work_dir'], 'runs')
    done = sorted(glob.glob(osp.join(runs, '**', 'done.json'), recursive=True))
    assert len(done) == 4 * 4
    with open(bench['report']) as f:
        before = f.read()
    # An interrupted frame training (checkpoints, no done.json) and a test
    # whose output was deleted.
    frame_dir = osp.join(runs, 'random-b', '100pct', 'split0', 'frame')
    os.remove(osp.join(frame_dir, 'done.json'))
    lost = osp.join(runs, 'random-a', '50pct', 'split0', 'test', 'out',
                    'results.json')
    os.remove(lost)
    redone = {
        osp.join(frame_dir, 'done.json'),
        osp.join(osp.dirname(osp.dirname(lost)), 'done.json')
    }
    stamps = {p: os.stat(p).st_mtime_ns for p in done if p not in redone}
    logs_before = len(glob.glob(osp.join(frame_dir, '*', '*.log')))

    tool.main(bench['args'])
    assert {p: os.stat(p).st_mtime_ns for p in stamps} == stamps
    assert all(osp.isfile(p) for p in redone) and osp.isfile(lost)
    # The training resumed at its last epoch (1 of 1): same best checkpoint.
    assert len(glob.glob(osp.join(frame_dir, '*', '*.log'))) == logs_before + 1
    with open(osp.join(frame_dir, 'done.json')) as f:
        checkpoint = json.load(f)['checkpoint']
    assert osp.basename(checkpoint) == 'best_phase_accuracy_epoch_1.pth'
    with open(bench['report']) as f:
        assert f.read() == before


def test_other_options_in_the_same_work_dir_are_refused(bench):
    with pytest.raises(SystemExit) as err:
        tool.main(bench['args'] +
                  ['--frame-cfg-options', 'train_cfg.max_epochs=2'])
    message = str(err.value)
    assert "holds stage 'frame' of run random-a/100pct/split0" in message
    assert 'options.train_cfg.max_epochs: <unset> -> 2' in message


def test_frame_level_results_reuse_the_frame_stages(bench):
    frame_done = osp.join(bench['work_dir'], 'runs', 'random-a', '50pct',
                          'split0', 'frame', 'done.json')
    stamp = os.stat(frame_done).st_mtime_ns
    report = tool.main([
        '--checkpoints', bench['checkpoints'][0], '--fractions', '0.5',
        '--no-temporal', *bench['common']
    ])
    assert os.stat(frame_done).st_mtime_ns == stamp
    assert osp.basename(report) == 'results_frame.md'
    with open(report) as f:
        markdown = f.read()
    rows = table_rows(markdown, tool.TABLES['official'][0])[2:]
    results = run_results(bench['work_dir'], 'random-a', '50', 'frame-test')
    accuracy = results['official']['accuracy']['mean']
    assert len(rows) == 1
    assert rows[0][:4] == ['random-a', '50 %', '1', f'{accuracy:.1f}']
    assert osp.isfile(
        osp.join(bench['work_dir'], 'ribbons_frame',
                 'random-a_video04_ribbon.png'))


def test_without_validation_the_last_epochs_are_used(bench, tmp_path,
                                                     synthetic_data_root):
    """The paper's Cholec80 split and M2CAI16 have no validation videos."""
    work_dir = tmp_path / 'work'
    tool.main([
        '--checkpoints', bench['checkpoints'][0], '--frame-config',
        bench['frame_config'], '--temporal-config', bench['temporal_config'],
        '--data-root', synthetic_data_root, '--work-dir',
        str(work_dir), '--frame-cfg-options', 'val_dataloader=None',
        'val_cfg=None', 'val_evaluator=None',
        'default_hooks.checkpoint.save_best=None'
    ])
    run_dir = work_dir / 'runs' / 'random-a' / '100pct' / 'split0'
    for stage in ('frame', 'temporal'):
        with open(run_dir / stage / 'done.json') as f:
            checkpoint = json.load(f)['checkpoint']
        assert checkpoint == str(run_dir / stage / 'epoch_1.pth')
        assert not glob.glob(str(run_dir / stage / 'best_*.pth'))
    with open(run_dir / 'features' / 'index.json') as f:
        splits = {v: e['split'] for v, e in json.load(f)['videos'].items()}
    assert splits == dict(video01='train', video02='train', video04='test')


def test_failed_stage_names_stage_and_log(tmp_path, synthetic_data_root):
    wrong = str(tmp_path / 'wrong.pth')
    save_checkpoint_file(
        dict(state_dict={'backbone.conv1.weight': torch.zeros(8, 3, 3, 3)}),
        wrong)
    frame_config = tmp_path / 'frame.py'
    frame_config.write_text(
        FRAME_CONFIG.format(
            base=osp.join(PHASE_CONFIGS,
                          'linear_resnet18_1xb16-coslr-2e_synthetic.py')))
    with pytest.raises(SystemExit) as err:
        tool.main([
            '--checkpoints', f'r50={wrong}', '--frame-config',
            str(frame_config), '--data-root', synthetic_data_root,
            '--work-dir',
            str(tmp_path / 'work'), '--no-temporal'
        ])
    message = str(err.value)
    assert "stage 'frame' of run r50/100pct/split0 failed" in message
    assert 'CheckpointError' in message
    log = re.search(r'stage log: (\S+)', message).group(1)
    assert log.startswith(str(tmp_path / 'work' / 'runs' / 'r50'))
    assert osp.isfile(log)
    assert not osp.exists(tmp_path / 'work' / 'runs' / 'r50' / '100pct' /
                          'split0' / 'frame' / 'done.json')


@pytest.mark.parametrize('values, expected', [
    ([80.0, 90.0, 85.0], '85.0 ± 5.0'),
    ([70.04, None], '70.0'),
    ([10.0, 20.0], '15.0 ± 7.1'),
    ([None], 'n/a'),
])
def test_mean_std_over_splits(values, expected):
    assert tool.mean_std(values) == expected


def test_results_table_aggregates_splits():

    def results(accuracy: float, recall: float) -> dict:
        report = dict(
            accuracy=dict(mean=accuracy, std=1.0),
            precision=dict(mean=50.0, std=1.0),
            recall=dict(mean=recall, std=1.0),
            jaccard=dict(mean=None, std=None))
        return dict(official=report)

    rows = {
        ('dsl', 0.125): [results(80.0, 10.0),
                         results(90.0, 20.0)],
        ('moco', 1.0): [results(70.0, 30.0)],
    }
    assert tool.results_table('official', rows)[-3:] == [
        '| dsl | 12.5 % | 2 | 85.0 ± 7.1 | 50.0 ± 0.0 | 15.0 ± 7.1 | n/a |',
        '| moco | 100 % | 1 | 70.0 | 50.0 | 30.0 | n/a |', ''
    ]


def test_plan_runs_one_split_for_all_labels():
    runs = tool.plan_runs({'a': 'a.pth', 'b': 'b.pth'}, [1.0, 0.125], 3)
    assert [run.key for run in runs] == [
        'a/100pct/split0', 'a/12.5pct/split0', 'a/12.5pct/split1',
        'a/12.5pct/split2', 'b/100pct/split0', 'b/12.5pct/split0',
        'b/12.5pct/split1', 'b/12.5pct/split2'
    ]
    with pytest.raises(ValueError, match='not in'):
        tool.plan_runs({'a': 'a.pth'}, [0.0], 1)
    with pytest.raises(ValueError, match='repeats'):
        tool.plan_runs({'a': 'a.pth'}, [0.5, 0.5], 1)


def test_parse_checkpoints(tmp_path):
    path = tmp_path / 'w.pth'
    path.write_bytes(b'')
    assert tool.parse_checkpoints([f'moco={path}', 'tv=torchvision://x']) == {
        'moco': str(path),
        'tv': 'torchvision://x'
    }
    for item, match in ((str(path), 'expected NAME=PATH'),
                        (f'a/b={path}', 'expected NAME=PATH'),
                        ('a=missing.pth', 'no file missing.pth')):
        with pytest.raises(ValueError, match=match):
            tool.parse_checkpoints([item])
    with pytest.raises(ValueError, match='given twice'):
        tool.parse_checkpoints([f'a={path}', f'a={path}'])


def test_select_checkpoint(tmp_path):
    validated = Config(
        dict(
            val_cfg=dict(type='ValLoop'),
            val_dataloader=dict(batch_size=1),
            default_hooks=dict(checkpoint=dict(save_best='phase/accuracy'))))
    unvalidated = Config(dict(val_cfg=None, val_dataloader=None))
    (tmp_path / 'epoch_3.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    assert tool.select_checkpoint(unvalidated, str(tmp_path)) == str(
        tmp_path / 'epoch_3.pth')
    with pytest.raises(ValueError, match='0 best checkpoints'):
        tool.select_checkpoint(validated, str(tmp_path))
    (tmp_path / 'best_phase_accuracy_epoch_2.pth').write_bytes(b'')
    assert tool.select_checkpoint(validated, str(tmp_path)) == str(
        tmp_path / 'best_phase_accuracy_epoch_2.pth')


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
    assert cfg.test_dataloader.dataset.split == 'test'
    if name in M2CAI16:
        # No validation split: no selection, the last epoch is used.
        assert not tool.has_validation(cfg)
        assert cfg.default_hooks.checkpoint.save_best is None
    else:
        assert tool.has_validation(cfg)
        assert cfg.val_dataloader.dataset.split == 'val'
        assert cfg.default_hooks.checkpoint.save_best == 'phase/accuracy'
    fraction = cfg.train_dataloader.dataset.get('fraction')
    expected = re.search(r'-([\d.]+)pct', name)
    assert fraction == (float(expected.group(1)) / 100 if expected else None)
