"""Teachers and queues across 2 gloo processes."""
import socket

import torch
import torch.multiprocessing as mp

from dist_workers import (BATCH, STEPS, WORLD, distilled_moco_worker,
                          multi_teacher_moco_worker, random_teacher_worker)
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


def test_two_teacher_queues_stay_aligned_with_the_student_queue(tmp_path):
    """Over 2 gloo processes, column j of the student queue and of each
    teacher queue hold keys of the same image, whatever the teachers'
    dimensions."""
    ckpts = [str(tmp_path / f'teacher{seed}.pth') for seed in range(2)]
    for seed, ckpt in enumerate(ckpts):
        make_teacher_checkpoint(ckpt, seed=seed)
    mp.spawn(multi_teacher_moco_worker,
             args=(_free_port(), ckpts, str(tmp_path)), nprocs=WORLD)
    states = [torch.load(tmp_path / f'multi{r}.pth') for r in range(WORLD)]
    for queue, other in zip(states[0]['queues'], states[1]['queues']):
        assert torch.equal(queue, other)
    assert [q.shape for q in states[0]['queues']] == [(16, 16), (16, 16),
                                                      (512, 16)]
    columns = WORLD * BATCH * STEPS
    assert int(states[0]['ptr']) == columns
    # Each queue holds, in the same columns, the keys gathered together.
    for index, queue in enumerate(states[0]['queues']):
        written = torch.cat([keys[index] for keys in states[0]['gathered']])
        assert torch.equal(queue[:, :columns], written.t())

    from mmdistill.models.algorithms import FrozenTeacher
    teachers = [FrozenTeacher(**teacher_cfg(ckpts[0])),
                FrozenTeacher(backbone=BACKBONE, checkpoint=ckpts[1])]
    images = torch.cat([  # in rank order at every step
        views(n=BATCH, seed=100 * step + rank)[1]
        for step in range(STEPS) for rank in range(WORLD)])
    for teacher, queue in zip(teachers, states[0]['queues'][1:]):
        torch.testing.assert_close(queue[:, :columns],
                                   teacher(images, num_views=1)[1][0].t())


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
