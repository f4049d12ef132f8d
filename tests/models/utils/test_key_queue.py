"""Key queues: wrapped write positions, the batch check at Runner start, and
a 1-process run resumed on 2 processes (another global batch)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from mmdistill.models.utils import enqueue_keys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
SPT = 'configs/spt/spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_synthetic.py'


def test_write_positions_wrap_modulo_queue_len():
    queue = torch.zeros(2, 16)
    teacher_queue = torch.zeros(3, 16)
    ptr = torch.tensor([12])  # left by a run with another batch size
    keys = torch.arange(1., 9.)
    enqueue_keys([queue, teacher_queue], ptr,
                 [keys[:, None].expand(8, 2), -keys[:, None].expand(8, 3)])
    cols = [12, 13, 14, 15, 0, 1, 2, 3]
    assert torch.equal(queue[0, cols], keys)
    assert torch.equal(teacher_queue[2, cols], -keys)
    assert torch.equal(queue[:, 4:12], torch.zeros(2, 8))
    assert int(ptr) == 4


def test_queue_len_not_a_multiple_of_the_batch_names_the_fix():
    with pytest.raises(ValueError, match=r'model.queue_len=64'):
        enqueue_keys([torch.zeros(2, 60)], torch.zeros(1, dtype=torch.long),
                     [torch.zeros(8, 2)])


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def _train(args, work_dir, data_root, *options, check=True):
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([ROOT, osp.join(ROOT, 'tests')]),
               OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT=_free_port())
    proc = subprocess.run(
        [*args, SPT, *(['2'] if args[0] == 'bash' else []), '--work-dir',
         str(work_dir), '--cfg-options',
         f'train_dataloader.dataset.data_root={data_root}',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'default_hooks.logger.interval=1', *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        pytest.fail(f'{args} exited {proc.returncode}:\n'
                    f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


TRAIN = [sys.executable, 'tools/train.py']
DIST_TRAIN = ['bash', 'tools/dist_train.sh']


def test_queue_len_is_checked_when_the_runner_starts(tmp_path,
                                                     synthetic_data_root):
    proc = _train(TRAIN, tmp_path, synthetic_data_root,
                  'train_dataloader.batch_size=8', 'model.queue_len=60',
                  check=False)
    assert proc.returncode != 0
    assert 'model.queue_len=64' in proc.stderr
    assert 'before_train' in proc.stderr  # not after a first forward
    assert 'Epoch(train)' not in proc.stdout + proc.stderr


def test_one_process_run_resumes_on_two_processes(tmp_path,
                                                  synthetic_data_root):
    """Epoch 1 on 1 process (global batch 8), epoch 2 resumed on 2 processes
    (global batch 24) from a pointer that is not a multiple of 24."""
    _train(TRAIN, tmp_path, synthetic_data_root,
           'train_dataloader.batch_size=8', 'model.queue_len=48',
           'train_cfg.max_epochs=1')
    first = torch.load(tmp_path / 'epoch_1.pth')
    ptr = int(first['state_dict']['queue_ptr'])
    assert ptr == first['meta']['iter'] * 8 % 48
    assert ptr % 24 and ptr + 24 > 48  # past the end without the wrap
    proc = _train(DIST_TRAIN, tmp_path, synthetic_data_root,
                  'train_dataloader.batch_size=12', 'model.queue_len=48',
                  'train_cfg.max_epochs=2', '--resume')
    assert 'Distributed training: True' in proc.stdout + proc.stderr
    second = torch.load(tmp_path / 'epoch_2.pth')
    steps = second['meta']['iter'] - first['meta']['iter']
    assert steps > 0
    assert int(second['state_dict']['queue_ptr']) == (ptr + 24 * steps) % 48
    # The columns written in epoch 2 hold new keys, the others epoch 1's.
    written = [(ptr + i) % 48 for i in range(min(24 * steps, 48))]
    kept = sorted(set(range(48)) - set(written))
    old, new = first['state_dict']['queue'], second['state_dict']['queue']
    assert torch.equal(new[:, kept], old[:, kept])
    assert not torch.isclose(new[:, written], old[:, written]).all(0).any()
