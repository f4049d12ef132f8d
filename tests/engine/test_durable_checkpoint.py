"""A kill -9 during a checkpoint save never loses the run.

The crash test trains the demo teacher for 3 epochs with
``max_keep_ckpts=1`` in a subprocess that SIGKILLs itself at one moment of a
save (``tests/kill_during_save.py``), resumes it with ``tools/train.py
--resume`` and is killed again at the next moment, and so on; the run that
finally completes is compared with an uninterrupted one, bit for bit.
"""
import logging
import os
import os.path as osp
import subprocess
import sys
import zipfile

import pytest
import torch

from state_compare import assert_same

from mmdistill.engine import (find_resumable_checkpoint,
                              is_complete_checkpoint, resume)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPT = osp.join(ROOT,
               'configs/spt/spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_'
               'synthetic.py')


def _train(work_dir, data_root, *extra, config=SPT, env=None):
    # A dataloader worker: its augmentations are seeded per epoch, those of
    # the main process would continue the global RNG (not resumed).
    args = [
        sys.executable, 'tools/train.py', str(config), '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=1',
        'train_dataloader.persistent_workers=False', 'model.queue_len=64',
        'train_cfg.max_epochs=3', 'default_hooks.checkpoint.max_keep_ckpts=1'
    ]
    env = dict(os.environ, PYTHONPATH=f'{ROOT}:{osp.join(ROOT, "tests")}',
               OMP_NUM_THREADS='1', **(env or {}))
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory, synthetic_data_root):
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    _ok(_train(work_dir, synthetic_data_root))
    # max_keep_ckpts=1 holds, and no temporary file is left.
    assert sorted(f for f in os.listdir(work_dir) if 'pth' in f) == [
        'epoch_3.pth'
    ]
    return torch.load(work_dir / 'epoch_3.pth')


# (KILL_FILE, KILL_AT, checkpoints the kill leaves, the one last_checkpoint
# names), one after the other in the same work dir, each run resumed.
KILLS = [
    # Half of epoch_2 written: only under its temporary name.
    ('epoch_2.pth', 'write:1000000', ['epoch_1.pth'], 'epoch_1.pth'),
    # epoch_2 complete and renamed, last_checkpoint not yet rewritten.
    ('epoch_2.pth', 'after_rename', ['epoch_1.pth', 'epoch_2.pth'],
     'epoch_1.pth'),
    # last_checkpoint names epoch_2, epoch_1 not yet removed.
    ('epoch_1.pth', 'before_remove', ['epoch_1.pth', 'epoch_2.pth'],
     'epoch_2.pth'),
]


def test_kills_during_saves_then_resume_match_uninterrupted_run(
        tmp_path, synthetic_data_root, uninterrupted):
    crashing = tmp_path / 'crashing.py'
    crashing.write_text(
        f"_base_ = '{SPT}'\n"
        "custom_imports = dict(imports=['mmdistill', 'kill_during_save'])\n")
    work_dir = tmp_path / 'work'
    for i, (kill_file, kill_at, left, recorded) in enumerate(KILLS):
        resume = ['--resume'] if i else []
        proc = _train(work_dir, synthetic_data_root, *resume, config=crashing,
                      env=dict(KILL_FILE=kill_file, KILL_AT=kill_at))
        assert proc.returncode == -9, (kill_at, proc.stderr[-3000:])
        assert sorted(n for n in os.listdir(work_dir)
                      if n.endswith('.pth')) == left, kill_at
        assert all(is_complete_checkpoint(str(work_dir / n)) for n in left)
        with open(work_dir / 'last_checkpoint') as f:
            assert osp.basename(f.read()) == recorded, kill_at

    _ok(_train(work_dir, synthetic_data_root, '--resume'))
    # The outdated checkpoint of the killed run is gone too.
    assert sorted(n for n in os.listdir(work_dir)
                  if n.endswith('.pth')) == ['epoch_3.pth']
    resumed = torch.load(work_dir / 'epoch_3.pth')
    assert resumed['meta']['iter'] == uninterrupted['meta']['iter'] > 0
    assert_same(resumed['state_dict'], uninterrupted['state_dict'],
                 'state_dict')
    assert_same(resumed['optimizer'], uninterrupted['optimizer'], 'optimizer')
    assert_same(resumed['param_schedulers'],
                 uninterrupted['param_schedulers'], 'param_schedulers')


def _save(path, value=0.):
    torch.save(dict(meta=dict(epoch=1), state_dict=dict(w=torch.full((64, ),
                                                                     value))),
               path)
    return str(path)


def test_complete_checkpoint_check(tmp_path):
    good = _save(tmp_path / 'good.pth')
    assert is_complete_checkpoint(good)
    data = open(good, 'rb').read()
    for size in (0, 100, len(data) // 2, len(data) - 1):
        (tmp_path / 'cut.pth').write_bytes(data[:size])
        assert not is_complete_checkpoint(str(tmp_path / 'cut.pth')), size
    assert not is_complete_checkpoint(str(tmp_path / 'missing.pth'))
    # A zip that is not a torch checkpoint.
    with zipfile.ZipFile(tmp_path / 'other.pth', 'w') as z:
        z.writestr('readme.txt', 'hello')
    assert not is_complete_checkpoint(str(tmp_path / 'other.pth'))


def test_auto_resume_falls_back_to_newest_complete_checkpoint(
        tmp_path, monkeypatch):
    """The state mmengine's CheckpointHook leaves when killed during the
    epoch-3 save with max_keep_ckpts=1: epoch_2 deleted but still named in
    last_checkpoint, a truncated epoch_3 under its final name."""
    older = _save(tmp_path / 'epoch_1.pth')
    newer = _save(tmp_path / 'epoch_4_other_run.pth')
    os.utime(older, ns=(1, 1))
    data = open(_save(tmp_path / 'epoch_3.pth'), 'rb').read()
    (tmp_path / 'epoch_3.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'empty.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))

    # Read the warning from the logger call: the current logger's stream
    # handler may belong to an earlier test's captured stream.
    warnings = []
    monkeypatch.setattr(
        resume, 'print_log',
        lambda msg, logger=None, level=logging.INFO: warnings.append(
            (level, msg)))
    assert find_resumable_checkpoint(str(tmp_path)) == newer
    level, message = warnings.pop()
    assert level == logging.WARNING
    assert f'{tmp_path / "epoch_2.pth"} (named in last_checkpoint) is ' \
           'missing' in message
    assert newer in message

    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == newer
    level, message = warnings.pop()
    assert level == logging.WARNING
    assert 'epoch_3.pth (named in last_checkpoint) is incomplete' in message

    # A complete recorded checkpoint is kept even when a newer one exists.
    (tmp_path / 'last_checkpoint').write_text(older)
    assert find_resumable_checkpoint(str(tmp_path)) == older


def test_auto_resume_without_checkpoints_starts_from_scratch(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) is None
