"""Worker functions for multi-process tests (spawned processes import them
by module name, which pytest's test modules do not provide)."""
import os

import torch
import torch.distributed as dist

from mmdistill.registry import MODELS
from tiny_models import (BACKBONE, MOCO_HEAD, MOCO_NECK, PREPROCESSOR,
                         teacher_cfg, views)

WORLD = 2
BATCH = 2
STEPS = 3


def distilled_moco_worker(rank, port, ckpt, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='DistilledMoCo', backbone=BACKBONE, neck=MOCO_NECK,
             head=MOCO_HEAD, queue_len=16, feat_dim=16,
             data_preprocessor=PREPROCESSOR, teacher=teacher_cfg(ckpt)))
    model.init_weights()
    model.train()
    for step in range(STEPS):
        inputs = views(n=BATCH, seed=100 * step + rank)
        model.loss(inputs, [])
    state = model.state_dict()
    torch.save(
        dict(queue=state['queue'], teacher_queue=state['teacher_queue'],
             ptr=state['queue_ptr']), os.path.join(out_dir, f'rank{rank}.pth'))
    dist.destroy_process_group()


def multi_teacher_moco_worker(rank, port, ckpts, out_dir):
    """Distilled MoCo with two teachers of different dimensions (a 16-d SPT
    head, a 512-d bare backbone); saves the queues and every step's
    gathered keys (student, teacher 0, teacher 1) as written."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='DistilledMoCo', backbone=BACKBONE, neck=MOCO_NECK,
             head=MOCO_HEAD, queue_len=16, feat_dim=16,
             data_preprocessor=PREPROCESSOR,
             teachers=[dict(teacher_cfg(ckpts[0]), weight=0.5),
                       dict(backbone=BACKBONE, checkpoint=ckpts[1],
                            weight=0.5)]))
    model.init_weights()
    model.train()
    gathered = []
    for step in range(STEPS):
        model.loss(views(n=BATCH, seed=100 * step + rank), [])
        gathered.append([k.clone() for k in model._pending_keys])
    state = model.state_dict()
    torch.save(
        dict(queues=[state[name] for name in model.queue_names],
             ptr=state['queue_ptr'], gathered=gathered),
        os.path.join(out_dir, f'multi{rank}.pth'))
    dist.destroy_process_group()


def random_teacher_worker(rank, port, out_dir):
    """Build a distilled MoCo whose teacher neck has no checkpoint, with a
    different seed on each rank (as ``diff_rank_seed=True`` does)."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    torch.manual_seed(rank)
    model = MODELS.build(
        dict(type='DistilledMoCo', backbone=BACKBONE, neck=MOCO_NECK,
             head=MOCO_HEAD, queue_len=16, feat_dim=16,
             data_preprocessor=PREPROCESSOR,
             teacher=dict(backbone=BACKBONE, neck=MOCO_NECK)))
    with torch.no_grad():
        query, key = model.teacher(views(n=BATCH, seed=0)[0], num_views=1)
    torch.save(
        dict(state=model.teacher.state_dict(), query=query, key=key),
        os.path.join(out_dir, f'teacher{rank}.pth'))
    dist.destroy_process_group()


def knn_monitor_worker(rank, world, port, data_root, out_dir):
    """Phase k-NN monitor of a seeded tiny SPT over ``world`` processes."""
    from mmdistill.engine.hooks import PhaseKNNMonitorHook
    from tiny_models import knn_monitor_cfg, spt_cfg
    if world > 1:
        os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
        dist.init_process_group('gloo', rank=rank, world_size=world)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MODELS.build(spt_cfg())
    model.init_weights()
    hook = PhaseKNNMonitorHook(**knn_monitor_cfg(data_root))
    hook.before_train(runner=None)
    scores = hook.evaluate(model)
    torch.save(
        dict(scores=scores, memory=hook._embed(model, 'memory')),
        os.path.join(out_dir, f'knn_world{world}_rank{rank}.pth'))
    if world > 1:
        dist.destroy_process_group()
