"""Several frozen teachers: ``teachers=[dict(..., weight=w), ...]``."""
import pytest
import torch
from mmengine.logging import MessageHub

from mmdistill.registry import MODELS
from tiny_models import (BACKBONE, MOCO_HEAD, MOCO_NECK, PREPROCESSOR,
                         make_teacher_checkpoint, teacher_cfg, views)

NONLINEAR_NECK = dict(type='NonLinearNeck', in_channels=512, hid_channels=32,
                      num_layers=2, with_avg_pool=True)
MODEL_CFGS = dict(
    moco=dict(type='DistilledMoCo', backbone=BACKBONE, neck=MOCO_NECK,
              head=MOCO_HEAD, queue_len=16, feat_dim=16,
              data_preprocessor=PREPROCESSOR),
    simclr=dict(type='DistilledSimCLR', backbone=BACKBONE,
                neck=dict(NONLINEAR_NECK, out_channels=8),
                head=dict(type='ContrastiveHead',
                          loss=dict(type='CrossEntropyLoss'),
                          temperature=0.1),
                data_preprocessor=PREPROCESSOR),
    byol=dict(type='DistilledBYOL', backbone=BACKBONE,
              neck=dict(NONLINEAR_NECK, out_channels=16, with_bias=True,
                        with_last_bn=False),
              head=dict(type='LatentPredictHead',
                        loss=dict(type='CosineSimilarityLoss'),
                        predictor=dict(type='NonLinearNeck', in_channels=16,
                                       hid_channels=32, out_channels=16,
                                       with_bias=True, with_last_bn=False,
                                       with_avg_pool=False)),
              queue_len=16, data_preprocessor=PREPROCESSOR))


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """Two different SPT teacher checkpoints (16-d heads)."""
    root = tmp_path_factory.mktemp('teachers')
    paths = [str(root / f'teacher{seed}.pth') for seed in range(2)]
    for seed, path in enumerate(paths):
        make_teacher_checkpoint(path, seed=seed)
    return paths


def _build(name, seed=0, **teacher_args):
    torch.manual_seed(seed)
    model = MODELS.build(dict(MODEL_CFGS[name], **teacher_args))
    model.init_weights()
    MessageHub.get_current_instance().update_info('max_iters', 10)
    return model.train()


def _step(model, inputs, seed, backward=('loss_ssl', 'loss_distill')):
    """One loss call; the gradients of the ``backward`` terms."""
    torch.manual_seed(seed)  # MoCo's batch shuffle draws a permutation
    losses = model.loss(inputs, [])
    model.zero_grad()
    sum(losses[key] for key in backward).backward()
    return losses, {n: p.grad.clone() for n, p in model.named_parameters()
                    if p.grad is not None}


@pytest.mark.parametrize('name', ['moco', 'simclr', 'byol'])
def test_one_teacher_in_the_list_is_exactly_the_single_form(
        checkpoints, name):
    single = _build(name, teacher=teacher_cfg(checkpoints[0]))
    listed = _build(name,
                    teachers=[dict(teacher_cfg(checkpoints[0]), weight=1.)])
    assert single.state_dict().keys() == listed.state_dict().keys()
    for step in range(3):  # from step 1 on, the queues hold enqueued keys
        inputs = views(seed=step)
        s_losses, s_grads = _step(single, inputs, step)
        l_losses, l_grads = _step(listed, inputs, step)
        assert s_losses.keys() == l_losses.keys()
        for key, value in s_losses.items():
            assert torch.equal(l_losses[key], value), key
        assert s_grads.keys() == l_grads.keys()
        for key, grad in s_grads.items():
            assert torch.equal(l_grads[key], grad), key
        with torch.no_grad():
            for model in (single, listed):
                for p in model.parameters():
                    if p.grad is not None:
                        p.sub_(0.1 * p.grad)


def _second_teacher(name, checkpoints):
    """A teacher of another embedding dimension (512-d: the backbone alone)
    for MoCo and SimCLR; BYOL needs the student's 16 dimensions."""
    if name == 'byol':
        return teacher_cfg(checkpoints[1])
    return dict(backbone=BACKBONE, checkpoint=checkpoints[1])


@pytest.mark.parametrize('name', ['moco', 'simclr', 'byol'])
def test_two_teachers_give_the_weighted_sum_of_single_teacher_kls(
        checkpoints, name):
    first, second = teacher_cfg(checkpoints[0]), _second_teacher(
        name, checkpoints)
    multi = _build(name, teachers=[dict(first, weight=0.3),
                                   dict(second, weight=2.)])
    if name != 'byol':
        assert [t.embed_dim for t in multi.teachers] == [16, 512]
    singles = [_build(name, teacher=first), _build(name, teacher=second)]
    # Same student weights and queues as the two-teacher model: teacher 1's
    # queue becomes the single model's ``teacher_queue``.
    state = multi.state_dict()
    queues = [state.pop('teacher_queue', None),
              state.pop('teacher_queue_1', None)]
    for single, queue in zip(singles, queues):
        single.load_state_dict(
            state if queue is None else dict(state, teacher_queue=queue))
    for step in range(2):  # step 1 reads the queues written by step 0
        inputs = views(seed=step)
        m_losses, m_grads = _step(multi, inputs, step, ['loss_distill'])
        kls, grads = zip(*(_step(single, inputs, step, ['loss_distill'])
                           for single in singles))
        torch.testing.assert_close(
            m_losses['loss_distill'],
            0.3 * kls[0]['loss_distill'] + 2. * kls[1]['loss_distill'])
        assert torch.equal(m_losses['loss_ssl'], kls[0]['loss_ssl'])
        assert m_grads.keys() == grads[0].keys()
        for key, grad in m_grads.items():
            torch.testing.assert_close(
                grad, 0.3 * grads[0][key] + 2. * grads[1][key],
                rtol=1e-3, atol=1e-5)
    state = multi.state_dict()
    for queue, single in zip(('teacher_queue', 'teacher_queue_1'), singles):
        if queue in state:
            assert torch.equal(state[queue],
                               single.state_dict()['teacher_queue'])


def test_byol_teacher_of_another_dimension_is_a_clear_error(checkpoints):
    with pytest.raises(ValueError, match=r'model\.teachers\[1\] \(512\)'):
        _build('byol', teachers=[teacher_cfg(checkpoints[0]),
                                 _second_teacher('moco', checkpoints)])


@pytest.mark.parametrize('args, match', [
    (dict(teacher='first', teachers=['first']), 'got both'),
    (dict(), 'got neither'),
    (dict(teachers=[]), 'non-empty list'),
    (dict(teachers=['first', dict(weight=-1.)]), r'teachers\[1\]\.weight'),
])
def test_bad_teacher_settings_are_clear_errors(checkpoints, args, match):
    first = teacher_cfg(checkpoints[0])
    args = {key: first if value == 'first' else
            [first if v == 'first' else dict(first, **v) for v in value]
            if isinstance(value, list) else value
            for key, value in args.items()}
    with pytest.raises(ValueError, match=match):
        _build('moco', **args)


def test_teachers_stay_frozen_and_out_of_the_student(checkpoints):
    model = _build('moco', teachers=[
        dict(teacher_cfg(checkpoints[0]), weight=0.5),
        dict(_second_teacher('moco', checkpoints), weight=0.5)])
    before = [{k: v.clone() for k, v in t.state_dict().items()}
              for t in model.teachers]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for step in range(3):
        losses, _ = _step(model, views(seed=step), step)
        optimizer.step()
    student = {id(p) for p in model.parameters()}
    for teacher, state in zip(model.teachers, before):
        for key, value in teacher.state_dict().items():
            assert torch.equal(value, state[key]), key
        assert all(p.grad is None and not p.requires_grad
                   for p in teacher.parameters())
        assert not any(m.training for m in teacher.modules())
        assert not student & {id(p) for p in teacher.parameters()}
    # Only the queues are added to the student's state: no teacher weights.
    extra = set(model.state_dict()) - set(
        _build('moco', teacher=teacher_cfg(checkpoints[0])).state_dict())
    assert extra == {'teacher_queue_1'}
    assert model.teacher_queue_1.shape == (512, 16)


def test_single_form_checkpoint_keys_are_unchanged(checkpoints, tmp_path):
    """The single form keeps the state-dict keys it always had, so its
    checkpoints resume into either spelling of one teacher."""
    single = _build('moco', teacher=teacher_cfg(checkpoints[0]))
    for step in range(2):
        _step(single, views(seed=step), step)
    state = single.state_dict()
    assert {k for k in state if 'queue' in k} == {
        'queue', 'queue_ptr', 'teacher_queue'}
    torch.save(dict(state_dict=state), tmp_path / 'old.pth')
    listed = _build('moco', seed=1,
                    teachers=[dict(teacher_cfg(checkpoints[0]), weight=1.)])
    listed.load_state_dict(torch.load(tmp_path / 'old.pth')['state_dict'])
    for key, value in state.items():
        assert torch.equal(listed.state_dict()[key], value), key
    s_losses, _ = _step(single, views(seed=2), 2)
    l_losses, _ = _step(listed, views(seed=2), 2)
    assert torch.equal(s_losses['loss_distill'], l_losses['loss_distill'])


SYNTHETIC = ('configs/dsl/'
             'dsl-mocov2_resnet18_teacher-2x_1xb16-coslr-2e_synthetic.py')


def test_synthetic_two_teacher_config_trains_under_the_runner(
        tmp_path, synthetic_data_root):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(SYNTHETIC)
    # The SPT export's layout (backbone, neck, momentum head); its weights
    # (untrained here) do not matter for the run.
    spt = cfg.model.teachers[0]
    torch.manual_seed(0)
    parts = dict(backbone=MODELS.build(spt.backbone),
                 neck=MODELS.build(spt.neck), momentum_neck=MODELS.build(
                     spt.neck))
    torch.save(dict(state_dict={
        f'{part}.{key}': value for part, module in parts.items()
        for key, value in module.state_dict().items()}),
        tmp_path / 'teacher.pth')
    cfg.merge_from_dict({
        'work_dir': str(tmp_path / 'run'),
        'model.teachers.0.checkpoint': str(tmp_path / 'teacher.pth'),
        'model.queue_len': 64,
        'train_dataloader.dataset.data_root': synthetic_data_root,
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': 1,
        'custom_hooks': [dict(type='KeyQueueCheckHook')],
        'default_hooks.logger.interval': 1,
    })
    runner = Runner.from_cfg(cfg)
    assert [t.embed_dim for t in runner.model.teachers] == [128, 1280]
    assert runner.model.teacher_weights == (0.5, 0.5)
    runner.train()
    ckpt = torch.load(tmp_path / 'run' / 'epoch_1.pth')
    state = ckpt['state_dict']
    assert not any(k.startswith('teacher') and 'queue' not in k
                   for k in state)
    assert state['teacher_queue'].shape == (128, 64)
    assert state['teacher_queue_1'].shape == (1280, 64)
    assert int(state['queue_ptr']) == ckpt['meta']['iter'] * 8 % 64
    distill = runner.message_hub.get_scalar('train/loss_distill')
    assert torch.isfinite(torch.tensor(distill.current()))
