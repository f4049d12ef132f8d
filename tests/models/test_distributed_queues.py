"""Teachers and queues across 2 gloo processes."""
import socket

import torch
import torch.multiprocessing as mp

from dist_workers import (BATCH, STEPS, WORLD, distilled_moco_worker,
                          random_teacher_worker)
from tiny_models import (BACKBONE, MOCO_NECK, make_teacher_checkpoint,
                         teacher_cfg, views)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_gloo_queues_are_aligned(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    make_teacher_checkpoint(ckpt)
    mp.spawn(distilled_moco_worker, args=(_free_port(), ckpt, str(tmp_path)), nprocs=WORLD)
    states = [torch.load(tmp_path / f'rank{r}.pth') for r in range(WORLD)]
    assert torch.equal(states[0]['queue'], states[1]['queue'])
    assert torch.equal(states[0]['teacher_queue'], states[1]['teacher_queue'])
    assert int(states[0]['ptr']) == WORLD * BATCH * STEPS

    from mmdistill.models.algorithms import FrozenTeacher
    teacher = FrozenTeacher(**teacher_cfg(ckpt))
    expected = []
    for step in range(STEPS):  # gathered in rank order at every step
        for rank in range(WORLD):
            im_k = views(n=BATCH, seed=100 * step + rank)[1]
            expected.append(teacher(im_k, num_views=1)[1][0])
    expected = torch.cat(expected).t()
    torch.testing.assert_close(
        states[0]['teacher_queue'][:, :expected.shape[1]], expected)


def test_every_rank_distils_from_rank_zeros_teacher(tmp_path):
    """A neck without a checkpoint is random: with a different seed per rank
    each rank would build another teacher unless rank 0's is broadcast."""
    mp.spawn(random_teacher_worker, args=(_free_port(), str(tmp_path)),
             nprocs=WORLD)
    ranks = [torch.load(tmp_path / f'teacher{r}.pth') for r in range(WORLD)]
    assert ranks[0]['state'].keys() == ranks[1]['state'].keys()
    for key, value in ranks[0]['state'].items():
        assert torch.equal(value, ranks[1]['state'][key]), key
    assert torch.equal(ranks[0]['query'], ranks[1]['query'])
    assert torch.equal(ranks[0]['key'], ranks[1]['key'])
    # The seeds do give different random heads without the broadcast.
    from mmdistill.models.algorithms import FrozenTeacher
    torch.manual_seed(1)
    own = FrozenTeacher(backbone=BACKBONE, neck=MOCO_NECK).state_dict()
    assert not torch.equal(own['neck.mlp.0.weight'],
                           ranks[1]['state']['neck.mlp.0.weight'])
