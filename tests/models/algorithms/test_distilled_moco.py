import torch
import torch.nn.functional as F

from mmdistill.registry import MODELS
from tiny_models import (BACKBONE, MOCO_HEAD, MOCO_NECK, PREPROCESSOR,
                         make_teacher_checkpoint, teacher_cfg, views)

QUEUE_LEN = 16


def _moco_cfg(**kwargs):
    return dict(
        type='MoCo',
        backbone=BACKBONE,
        neck=MOCO_NECK,
        head=MOCO_HEAD,
        queue_len=QUEUE_LEN,
        feat_dim=16,
        data_preprocessor=PREPROCESSOR,
        **kwargs)


def _distilled(tmp_path, weight=5.0, seed=0):
    ckpt = str(tmp_path / 'teacher.pth')
    make_teacher_checkpoint(ckpt)
    torch.manual_seed(seed)
    model = MODELS.build(
        _moco_cfg(
            teacher=teacher_cfg(ckpt),
            distill_loss=dict(type='SimilarityKLLoss', loss_weight=weight)) |
        dict(type='DistilledMoCo'))
    model.init_weights()
    return model.train()


def _step(model, inputs, seed):
    torch.manual_seed(seed)  # MoCo's batch shuffle draws a permutation
    losses = model.loss(inputs, [])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    model.zero_grad()
    total.backward()
    return losses, {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }


def test_weight_zero_is_exactly_mmpretrain_moco(tmp_path):
    distilled = _distilled(tmp_path, weight=0.0)
    torch.manual_seed(0)
    moco = MODELS.build(_moco_cfg())
    moco.init_weights()
    moco.train()
    missing, unexpected = moco.load_state_dict(
        distilled.state_dict(), strict=False)
    assert missing == [] and unexpected == ['teacher_queue']

    for step in range(3):
        inputs = views(seed=step)
        d_losses, d_grads = _step(distilled, inputs, seed=step)
        m_losses, m_grads = _step(moco, inputs, seed=step)
        assert torch.equal(d_losses['loss_ssl'], m_losses['loss'])
        assert d_grads.keys() == m_grads.keys()
        for name, grad in m_grads.items():
            assert torch.equal(d_grads[name], grad), name
        with torch.no_grad():
            for p_d, p_m in zip(distilled.parameters(), moco.parameters()):
                if p_m.grad is not None:
                    p_d.sub_(0.1 * p_d.grad)
                    p_m.sub_(0.1 * p_m.grad)
    # The last step's keys are written when the state is read.
    assert torch.equal(distilled.state_dict()['queue'], moco.queue)


def test_teacher_frozen_out_of_optimizer_and_checkpoint(tmp_path):
    model = _distilled(tmp_path)
    teacher_before = {
        k: v.clone()
        for k, v in model.teacher.state_dict().items()
    }
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for step in range(3):
        model.train()
        losses = model.loss(views(seed=step), [])
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    assert all(p.grad is None and not p.requires_grad
               for p in model.teacher.parameters())
    assert not any(m.training for m in model.teacher.modules())
    teacher_ids = {id(p) for p in model.teacher.parameters()}
    assert not teacher_ids & {id(p) for p in model.parameters()}
    assert not any(k.startswith('teacher.') for k in model.state_dict())


def test_queues_hold_keys_of_the_same_images(tmp_path):
    model = _distilled(tmp_path)
    teacher = model.teacher
    expected_teacher_cols, expected_student_cols = [], []
    student_keys = []
    model.encoder_k.register_forward_hook(
        lambda m, i, o: student_keys.append(o[0].detach()))
    for step in range(3):  # 3 x 4 keys into a queue of 16: no wrap yet
        im_q, im_k = views(seed=step)
        torch.manual_seed(step)
        perm = torch.randperm(4)  # the permutation batch_shuffle_ddp draws
        torch.manual_seed(step)
        model.loss([im_q, im_k], [])
        with torch.no_grad():
            _, key = teacher(im_k, num_views=1)
        expected_teacher_cols.append(key[0])
        shuffled = F.normalize(student_keys[-1], dim=1)
        expected_student_cols.append(shuffled[torch.argsort(perm)])
    state = model.state_dict()
    torch.testing.assert_close(state['teacher_queue'][:, :12],
                               torch.cat(expected_teacher_cols).t())
    torch.testing.assert_close(state['queue'][:, :12],
                               torch.cat(expected_student_cols).t())
    assert int(state['queue_ptr']) == 12


def test_student_similarities_use_teacher_input_normalisation(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    make_teacher_checkpoint(ckpt)
    torch.manual_seed(0)
    model = MODELS.build(
        _moco_cfg(teacher=teacher_cfg(ckpt, mean=[127.5] * 3,
                                      std=[127.5] * 3)) |
        dict(type='DistilledMoCo'))
    raw = torch.rand(2, 3, 32, 32) * 255
    pre = model.data_preprocessor
    student_input = (raw - pre.mean) / pre.std
    direct = model.teacher.backbone((raw - 127.5) / 127.5)[0]
    via = model.teacher.backbone(student_input * model.teacher.input_scale +
                                 model.teacher.input_shift)[0]
    torch.testing.assert_close(via, direct, rtol=1e-4, atol=1e-4)


def test_teacher_embeds_only_what_the_loss_uses(tmp_path):
    """One batched backbone call on both views; the query head on view 0
    and the key head on view 1 only."""
    model = _distilled(tmp_path)
    teacher = model.teacher
    calls = []
    for name in ('backbone', 'neck', 'momentum_neck'):
        getattr(teacher, name).register_forward_hook(
            lambda m, i, o, name=name: calls.append(
                (name, (i[0] if name == 'backbone' else i[0][-1]).shape[0])))
    im_q, im_k = views(n=4)
    query, key = teacher(torch.cat([im_q, im_k]), 2, query_views=(0, ),
                         key_views=(1, ))
    assert calls == [('backbone', 8), ('neck', 4), ('momentum_neck', 4)]
    full_query, full_key = teacher(torch.cat([im_q, im_k]), 2)
    torch.testing.assert_close(query[0], full_query[0])
    torch.testing.assert_close(key[0], full_key[1])
    calls.clear()
    model.loss([im_q, im_k], [])
    assert calls == [('backbone', 8), ('neck', 4), ('momentum_neck', 4)]


def test_loss_uses_the_queue_buffer_without_a_copy(tmp_path):
    """The negatives are scored against the queue buffer itself (MoCo
    clones it every step); the step's keys are written at the start of the
    next step, after its backward pass, or when the state is read."""
    model = _distilled(tmp_path)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(
            lambda t: saved.append(t.data_ptr()) or t, lambda t: t):
        losses = model.loss(views(seed=0), [])
    assert model.queue.data_ptr() in saved
    queue_before = model.queue.clone()
    sum(losses.values()).backward()  # the queue is unchanged until here
    assert torch.equal(model.queue, queue_before)
    model.loss(views(seed=1), [])  # writes step 0's keys first
    assert int(model.queue_ptr) == 4
    assert not torch.equal(model.queue[:, :4], queue_before[:, :4])
    # Loading a state drops the keys still pending from step 1.
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert int(state['queue_ptr']) == 8
    model.loss(views(seed=2), [])
    model.load_state_dict(state)
    assert torch.equal(model.state_dict()['queue'], state['queue'])
    assert int(model.queue_ptr) == 8
