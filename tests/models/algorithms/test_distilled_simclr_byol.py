import pytest
import torch
from mmengine.logging import MessageHub

from mmdistill.registry import MODELS
from tiny_models import (BACKBONE, PREPROCESSOR, make_teacher_checkpoint,
                         teacher_cfg, views)

SIMCLR = dict(
    type='DistilledSimCLR',
    backbone=BACKBONE,
    neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=32,
              out_channels=8, num_layers=2, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
              temperature=0.1),
    data_preprocessor=PREPROCESSOR)


def _byol(out_channels=16, queue_len=16):
    return dict(
        type='DistilledBYOL',
        backbone=BACKBONE,
        neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=32,
                  out_channels=out_channels, num_layers=2, with_bias=True,
                  with_last_bn=False, with_avg_pool=True),
        head=dict(type='LatentPredictHead',
                  loss=dict(type='CosineSimilarityLoss'),
                  predictor=dict(type='NonLinearNeck',
                                 in_channels=out_channels, hid_channels=32,
                                 out_channels=out_channels, with_bias=True,
                                 with_last_bn=False, with_avg_pool=False)),
        queue_len=queue_len,
        data_preprocessor=PREPROCESSOR)


def _train_on_fixed_batch(model, steps=8):
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', steps)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    batch = views(n=8, seed=0)
    distill = []
    for step in range(steps):
        hub.update_info('iter', step)
        model.train()
        losses = model.loss(batch, [])
        distill.append(losses['loss_distill'].item())
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    return distill


@pytest.fixture
def teacher(tmp_path):
    ckpt = str(tmp_path / 'teacher.pth')
    make_teacher_checkpoint(ckpt)
    return teacher_cfg(ckpt)


def test_simclr_both_models_score_same_candidates(teacher):
    torch.manual_seed(0)
    model = MODELS.build(dict(SIMCLR, teacher=teacher))
    x = torch.stack(views(n=3), 1).flatten(0, 1)
    z = torch.nn.functional.normalize(model.teacher(x, num_views=1)[0][0])
    sim = model._candidate_similarities(z, model._create_buffer(3, z.device))
    assert sim.shape == (6, 5)
    # Column 0 is the other view of the same image.
    torch.testing.assert_close(sim[0, 0], z[0] @ z[1])
    torch.testing.assert_close(sim[1, 0], z[1] @ z[0])


def test_simclr_teacher_runs_no_key_head(teacher):
    torch.manual_seed(0)
    model = MODELS.build(dict(SIMCLR, teacher=teacher))
    heads = []
    for name in ('neck', 'momentum_neck'):
        getattr(model.teacher, name).register_forward_hook(
            lambda m, i, o, name=name: heads.append(name))
    model.loss(views(n=3), [])
    assert heads == ['neck']


@pytest.mark.parametrize('name', ['simclr', 'byol'])
def test_distillation_term_decreases(teacher, name):
    torch.manual_seed(0)
    cfg = SIMCLR if name == 'simclr' else _byol()
    model = MODELS.build(dict(cfg, teacher=teacher))
    model.init_weights()
    teacher_state = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    distill = _train_on_fixed_batch(model)
    assert distill[-1] < 0.7 * distill[0], distill
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_state[key]), key
    assert not any(k.startswith('teacher.') for k in model.state_dict())


def test_byol_dimension_mismatch_is_a_clear_error(teacher):
    with pytest.raises(ValueError, match='out_channels'):
        MODELS.build(dict(_byol(out_channels=8), teacher=teacher))
