"""The stock entry points on the demo configs: train, distributed, resume."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from state_compare import assert_same

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPT = 'configs/spt/spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_synthetic.py'
DSL = 'configs/dsl/dsl-mocov2_resnet18_1xb16-coslr-2e_synthetic.py'


def _options(data_root, *extra):
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=2',
        'train_dataloader.persistent_workers=False', 'model.queue_len=64',
        'default_hooks.logger.interval=1', *extra
    ]


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def _run(args, check=True, **kwargs):
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join((ROOT, osp.join(ROOT, 'tests'))),
               OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT=_free_port())
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True,
                          text=True, **kwargs)
    if check and proc.returncode != 0:
        pytest.fail(f'{" ".join(args)} exited {proc.returncode}:\n'
                    f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def _train(config, work_dir, data_root, *extra, check=True):
    return _run([sys.executable, 'tools/train.py', config, '--work-dir',
                 str(work_dir), *_options(data_root, *extra)], check=check)


@pytest.fixture(scope='module')
def teacher(tmp_path_factory, synthetic_data_root):
    """One epoch of the demo SPT teacher, exported."""
    work_dir = tmp_path_factory.mktemp('spt')
    _train(SPT, work_dir, synthetic_data_root, 'train_cfg.max_epochs=1')
    teacher = str(work_dir / 'teacher.pth')
    _run([sys.executable, 'tools/model_converters/export_teacher.py',
          str(work_dir / 'epoch_1.pth'), teacher])
    return teacher


def test_teacher_export_keeps_frozen_backbone_and_heads(teacher):
    exported = torch.load(teacher)
    parts = {k.split('.', 1)[0] for k in exported['state_dict']}
    assert parts == {'backbone', 'neck', 'momentum_neck'}
    assert exported['meta']['public_model'] == 'efficientnet-lite0://imagenet'
    from mmdistill.models.pretrained import build_efficientnet_lite_classifier
    public = build_efficientnet_lite_classifier('lite0').state_dict()
    for key, value in exported['state_dict'].items():
        if key.startswith('backbone.timm_model.'):
            # Frozen for real: bit-identical to the public weights.
            assert torch.equal(value, public[key[len('backbone.timm_model.'):]])


def test_demo_student_trains_from_teacher(tmp_path, teacher,
                                          synthetic_data_root):
    _train(DSL, tmp_path, synthetic_data_root, 'train_cfg.max_epochs=1',
           f'model.teacher.checkpoint={teacher}')
    ckpt = torch.load(tmp_path / 'epoch_1.pth')
    keys = ckpt['state_dict'].keys()
    assert not any(k.startswith('teacher.') for k in keys)
    assert {'queue', 'teacher_queue', 'queue_ptr'} <= set(keys)
    assert int(ckpt['state_dict']['queue_ptr']) == (
        ckpt['meta']['iter'] * 8) % 64


def test_dist_train_two_cpu_processes(tmp_path, teacher, synthetic_data_root):
    proc = _run([
        'bash', 'tools/dist_train.sh', DSL, '2', '--work-dir', str(tmp_path),
        *_options(synthetic_data_root, 'train_cfg.max_epochs=1',
                  f'model.teacher.checkpoint={teacher}')
    ], timeout=600)
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    ckpt = torch.load(tmp_path / 'epoch_1.pth')
    # Both ranks' keys entered the queue: 2 x 8 per iteration.
    assert int(ckpt['state_dict']['queue_ptr']) == (
        ckpt['meta']['iter'] * 16) % 64


def test_crash_then_resume_matches_uninterrupted_run(tmp_path,
                                                     synthetic_data_root):
    through = tmp_path / 'through'
    _train(SPT, through, synthetic_data_root)
    crashing = tmp_path / 'crashing.py'
    crashing.write_text(
        f"_base_ = '{osp.join(ROOT, SPT)}'\n"
        "custom_imports = dict(imports=['mmdistill', 'crash_hook'])\n"
        "custom_hooks = [dict(type='CrashAfterEpochHook', epoch=1)]\n")
    crashed = tmp_path / 'crashed'
    proc = _train(str(crashing), crashed, synthetic_data_root, check=False)
    assert proc.returncode == 3
    assert not (crashed / 'epoch_2.pth').exists()
    _run([sys.executable, 'tools/train.py', SPT, '--work-dir', str(crashed),
          '--resume', *_options(synthetic_data_root)])

    a = torch.load(through / 'epoch_2.pth')
    b = torch.load(crashed / 'epoch_2.pth')
    assert a['meta']['iter'] == b['meta']['iter'] > 0
    assert a['meta']['epoch'] == b['meta']['epoch'] == 2
    # Weights, MoCo queue and pointer, EMA head and its step counter.
    assert_same(a['state_dict'], b['state_dict'], 'state_dict')
    assert int(a['state_dict']['momentum_neck.steps']) == a['meta']['iter']
    assert_same(a['optimizer'], b['optimizer'], 'optimizer')
    assert_same(a['param_schedulers'], b['param_schedulers'], 'schedulers')


def test_stock_mmpretrain_train_script_runs_our_config(tmp_path,
                                                       synthetic_data_root):
    import mmpretrain
    stock = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                     'train.py')
    _run([sys.executable, stock, SPT, '--work-dir', str(tmp_path),
          *_options(synthetic_data_root, 'train_cfg.max_epochs=1',
                    'train_dataloader.persistent_workers=False')])
    assert (tmp_path / 'epoch_1.pth').exists()


def _logged_scalars(work_dir, key):
    """``(step, value)`` of ``key`` in the run's vis_data/scalars.json."""
    import glob
    import json
    found = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if key in record:
                    found.append((record['step'], record[key]))
    return sorted(found)


def test_demo_knn_monitor_beats_the_majority_class(teacher,
                                                   synthetic_data_root):
    from mmdistill.datasets import SurgicalPhaseFrames
    val = SurgicalPhaseFrames(
        synthetic_data_root, videos='val', split_scheme='synthetic',
        pipeline=[])
    labels = [val.get_data_info(i)['gt_label'] for i in range(len(val))]
    majority = 100. * max(labels.count(c) for c in set(labels)) / len(labels)
    curve = _logged_scalars(osp.dirname(teacher), 'knn/accuracy')
    # Epoch 0 (before training) and epoch 1; SPT's backbone is the frozen
    # ImageNet EfficientNet-Lite0, so the value is constant and well above
    # what always answering the most frequent phase gets.
    assert [step for step, _ in curve] == [0, 1]
    assert curve[0][1] == curve[1][1] > majority + 10
