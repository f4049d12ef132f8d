"""Every entry point that loads a checkpoint, against every hostile checkpoint.

A new entry point that loads a checkpoint must be added to ENTRY_POINTS.

Each :class:`EntryPoint` names its command line (``cli``: run once, as a
subprocess, with the attack ``cli_attack``) and, where the entry point is a
package call, an in-process ``call`` that runs against every attack of
:data:`attacks.ATTACKS`. Every run asserts that the sentinel file the attack
would write never appears, that the load is refused (non-zero exit, a
:class:`CheckpointError` in process) and that the message names the file.
Attacks on config text an entry point never reads (``meta['cfg']`` outside
the teacher export) are only checked for never running.

The world the entry points run in (a tiny distilled-MoCo config, its real
epoch-1 checkpoint as the carrier of every attack, a tiny phase-frame
config) is built once per module.
"""
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import pytest
from mmengine.config import Config
from mmengine.model.weight_init import PretrainedInit
from mmengine.runner import Runner

from mmdistill.models.algorithms.teacher import FrozenTeacher
from mmdistill.models.pretrained import PublicPretrainedInit
from mmdistill.registry import MODELS
from mmdistill.utils import CheckpointError
from security.attacks import ATTACK_BY_NAME, ATTACKS, SENTINEL, Attack
from tiny_models import BACKBONE, MOCO_NECK, make_teacher_checkpoint

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DSL_CONFIG = """
_base_ = [{base!r}]
model = dict(
    queue_len=16,
    feat_dim=16,
    neck=dict(hid_channels=32, out_channels=16),
    teacher=dict(_delete_=True, backbone={backbone!r}, neck={neck!r},
                 checkpoint={teacher!r}))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data_root!r}, indices=16))
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
"""
FRAME_CONFIG = """
_base_ = [{base!r}]
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'video',
                                       'frame')),
]
data = dict(data_root={data_root!r}, pipeline=pipeline)
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=data)
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=data)
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=data)
train_cfg = dict(max_epochs=1)
"""


@dataclass
class World:
    """Where the entry points run: tiny configs and a clean checkpoint."""
    root: str
    data_root: str
    dsl_config: str  # a distilled MoCo student (tools/train.py)
    frame_config: str  # a phase-frame classifier (test, features, benchmark)
    carrier: str  # real epoch-1 checkpoint of dsl_config
    runner: Runner  # built from dsl_config, trained one epoch

    def attack_file(self, attack: Attack) -> str:
        path = osp.join(self.root, 'attacks', f'{attack.name}.pth')
        if not osp.exists(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            attack.write(self.carrier, path, self.sentinel(attack))
        return path

    def sentinel(self, attack: Attack) -> str:
        """The file ``attack`` writes if it runs (its folder exists)."""
        directory = osp.join(self.root, 'sentinels', attack.name)
        os.makedirs(directory, exist_ok=True)
        return osp.join(directory, SENTINEL)

    def new_dir(self, *names: str) -> str:
        path = osp.join(self.root, 'runs', *names)
        os.makedirs(path, exist_ok=True)
        return path


def _resume_in_process(world: World, path: str) -> None:
    world.runner.resume(path)


def _load_from_in_process(world: World, path: str) -> None:
    world.runner.load_checkpoint(path)


def _mmdistill_pretrained(world: World, path: str) -> None:
    PublicPretrainedInit(path, part='backbone')(MODELS.build(BACKBONE))


def _mmengine_pretrained(world: World, path: str) -> None:
    PretrainedInit(checkpoint=path, prefix='backbone.')(MODELS.build(BACKBONE))


def _teacher(world: World, path: str) -> None:
    FrozenTeacher(backbone=BACKBONE, neck=MOCO_NECK, checkpoint=path,
                  key_head='query')


def _train(world: World, *args: str) -> List[str]:
    return ['tools/train.py', world.dsl_config, *args]


def _auto_resume(world: World, path: str) -> List[str]:
    work_dir = world.new_dir('auto-resume')
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(path)
    return _train(world, '--work-dir', work_dir, '--resume')


def _benchmark_phase(world: World, path: str) -> List[str]:
    return [
        'tools/benchmark_phase.py', '--checkpoints', f'hostile={path}',
        '--frame-config', world.frame_config, '--no-temporal', '--fractions',
        '1.0', '--data-root', world.data_root, '--work-dir',
        world.new_dir('benchmark_phase')
    ]


def _train_speed(world: World, path: str) -> List[str]:
    return [
        'tools/analysis/train_speed.py', world.dsl_config, '--iters', '1',
        '--warmup', '0', '--image-size', '32', '--batch-size', '2',
        '--cfg-options', f'model.teacher.checkpoint={path}'
    ]


def _infer_video(world: World, frame: str,
                 temporal: Optional[str] = None) -> List[str]:
    """Checkpoints are loaded before any video is opened."""
    tcn = ['--temporal-config', osp.join(
        ROOT, 'configs', 'benchmarks', 'temporal',
        'tecno_1xb1-10e_synthetic-features.py'), '--temporal-checkpoint',
           temporal] if temporal else []
    return [
        'tools/infer_video.py', osp.join(world.root, 'new.mp4'),
        '--frame-config', world.frame_config, '--frame-checkpoint', frame,
        *tcn, '--out-dir', world.new_dir('infer_video'), '--device', 'cpu'
    ]


@dataclass(frozen=True)
class EntryPoint:
    """``cli(world, path)``: argv (after ``python``) that loads ``path``;
    ``call(world, path)``: the same load in process, if the entry point is a
    package call; ``reads``: the config text (``meta[reads]``) it reads."""
    name: str
    cli: Optional[Callable[[World, str], List[str]]] = None
    cli_attack: str = 'reduce-os-system'
    call: Optional[Callable[[World, str], None]] = None
    reads: str = ''

    def __str__(self) -> str:
        return self.name


ENTRY_POINTS = (
    EntryPoint(
        'train --resume PATH',
        cli=lambda w, p: _train(w, '--work-dir', w.new_dir('resume'),
                                '--resume', p),
        cli_attack='meta-config-code',
        call=_resume_in_process,
        reads='config'),
    EntryPoint('train --resume (auto, last_checkpoint)', cli=_auto_resume,
               cli_attack='swapped-data-pkl'),
    EntryPoint(
        'load_from',
        cli=lambda w, p: _train(w, '--work-dir', w.new_dir('load_from'),
                                '--cfg-options', f'load_from={p}'),
        cli_attack='object-array-buffer',
        call=_load_from_in_process),
    EntryPoint('init_cfg: mmdistill Pretrained', call=_mmdistill_pretrained),
    EntryPoint('init_cfg: mmengine Pretrained', call=_mmengine_pretrained),
    EntryPoint(
        'model.teacher.checkpoint',
        cli=lambda w, p: _train(w, '--work-dir', w.new_dir('teacher'),
                                '--cfg-options',
                                f'model.teacher.checkpoint={p}'),
        cli_attack='env-no-weights-only',
        call=_teacher),
    EntryPoint(
        'tools/test.py',
        cli=lambda w, p: ['tools/test.py', w.frame_config, p, '--work-dir',
                          w.new_dir('test')],
        cli_attack='forged-dtype-array'),
    EntryPoint(
        'tools/extract_features.py',
        cli=lambda w, p: ['tools/extract_features.py', w.frame_config, p,
                          '--out-dir', w.new_dir('features'), '--device',
                          'cpu'],
        cli_attack='getattr-chain'),
    EntryPoint(
        'model_converters/export_teacher.py',
        cli=lambda w, p: ['tools/model_converters/export_teacher.py', p,
                          osp.join(w.new_dir('export'), 'teacher.pth')],
        cli_attack='meta-cfg-code',
        reads='cfg'),
    EntryPoint(
        'model_converters/extract_backbone.py',
        cli=lambda w, p: ['tools/model_converters/extract_backbone.py', p,
                          osp.join(w.new_dir('extract'), 'backbone.pth')]),
    EntryPoint(
        'model_converters/public2mmpretrain.py',
        cli=lambda w, p: ['tools/model_converters/public2mmpretrain.py', p,
                          osp.join(w.new_dir('convert'), 'out.pth')],
        cli_attack='object-scalar-buffer'),
    EntryPoint('tools/benchmark_phase.py', cli=_benchmark_phase,
               cli_attack='swapped-data-pkl'),
    EntryPoint('tools/analysis/train_speed.py', cli=_train_speed,
               cli_attack='object-array-buffer'),
    EntryPoint('tools/infer_video.py --frame-checkpoint', cli=_infer_video),
    EntryPoint('tools/infer_video.py --temporal-checkpoint',
               cli=lambda w, p: _infer_video(w, w.carrier, p),
               cli_attack='getattr-chain'),
)


def _refused_by(entry: EntryPoint, attack: Attack) -> bool:
    """Whether ``entry`` must refuse ``attack`` (rather than ignore it)."""
    return attack.config_key in ('', 'config', entry.reads)


@pytest.fixture(scope='module')
def world(tmp_path_factory, synthetic_data_root) -> World:
    root = str(tmp_path_factory.mktemp('security'))
    teacher = osp.join(root, 'teacher.pth')
    make_teacher_checkpoint(teacher)
    dsl_config = osp.join(root, 'dsl.py')
    with open(dsl_config, 'w') as f:
        f.write(DSL_CONFIG.format(
            base=osp.join(ROOT, 'configs', 'dsl',
                          'dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py'),
            backbone=BACKBONE, neck=MOCO_NECK, teacher=teacher,
            data_root=synthetic_data_root))
    frame_config = osp.join(root, 'frame.py')
    with open(frame_config, 'w') as f:
        f.write(FRAME_CONFIG.format(
            base=osp.join(ROOT, 'configs', 'benchmarks', 'phase',
                          'linear_resnet18_1xb16-coslr-2e_synthetic.py'),
            data_root=synthetic_data_root))
    cfg = Config.fromfile(dsl_config)
    cfg.work_dir = osp.join(root, 'carrier')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return World(root, synthetic_data_root, dsl_config, frame_config,
                 osp.join(cfg.work_dir, 'epoch_1.pth'), runner)


def _launch(world: World, entry: EntryPoint) -> subprocess.CompletedProcess:
    attack = ATTACK_BY_NAME[entry.cli_attack]
    path = world.attack_file(attack)
    env = dict(os.environ, OMP_NUM_THREADS='1', **attack.env,
               PYTHONPATH=os.pathsep.join((ROOT, osp.join(ROOT, 'tests'))))
    return subprocess.run([sys.executable, *entry.cli(world, path)],
                          cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope='module')
def cli_runs(world) -> Dict[str, subprocess.CompletedProcess]:
    """Every entry point's command line, run concurrently once."""
    entries = [entry for entry in ENTRY_POINTS if entry.cli is not None]
    for entry in entries:  # written before the processes start
        world.attack_file(ATTACK_BY_NAME[entry.cli_attack])
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = pool.map(lambda e: _launch(world, e), entries)
        return {entry.name: run for entry, run in zip(entries, runs)}


def test_every_attack_is_run_on_a_command_line():
    """Each attack class meets at least one real command line."""
    used = {entry.cli_attack for entry in ENTRY_POINTS if entry.cli}
    assert used == set(ATTACK_BY_NAME)


@pytest.mark.parametrize(
    'entry', [e for e in ENTRY_POINTS if e.cli is not None], ids=str)
def test_command_line_refuses(world, cli_runs, entry):
    attack = ATTACK_BY_NAME[entry.cli_attack]
    run = cli_runs[entry.name]
    output = run.stdout + run.stderr
    assert not osp.exists(world.sentinel(attack)), output[-3000:]
    assert run.returncode != 0, output[-3000:]
    # The error the run ends with (not merely mmengine's log line naming
    # the checkpoint it is about to load) names the file, or for the teacher
    # export's config text, the key (its caller names the file).
    errors = [
        line for line in output.splitlines()
        if 'Error' in line or 'Refusing' in line
    ]
    assert errors, output[-3000:]
    expected = ("meta['cfg'], line 1" if attack.config_key == 'cfg' else
                world.attack_file(attack))
    assert expected in errors[-1], output[-3000:]
    if attack.env:
        assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' in output
    assert 'weights_only=False' not in output
    assert '`weights_only` set to `False`' not in output


@pytest.mark.parametrize('attack', ATTACKS, ids=str)
@pytest.mark.parametrize(
    'entry', [e for e in ENTRY_POINTS if e.call is not None], ids=str)
def test_in_process_refuses(world, entry, attack, monkeypatch):
    for key, value in attack.env.items():
        monkeypatch.setenv(key, value)
    path = world.attack_file(attack)
    if _refused_by(entry, attack):
        with pytest.raises(CheckpointError) as err:
            entry.call(world, path)
        assert path in str(err.value)
    else:
        entry.call(world, path)
    assert not osp.exists(world.sentinel(attack))
