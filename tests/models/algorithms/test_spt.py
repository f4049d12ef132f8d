import copy

import torch

from mmdistill.registry import MODELS
from tiny_models import spt_cfg, views


def _build(seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(spt_cfg(queue_len=16))
    model.init_weights()
    return model.train()


def _backbone_state(model):
    return {k: v.clone() for k, v in model.backbone.state_dict().items()}


def test_backbone_frozen_and_head_trains():
    model = _build()
    before = _backbone_state(model)
    neck_before = copy.deepcopy(model.neck.state_dict())
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.5, momentum=0.9,
                                weight_decay=1e-4)
    for step in range(3):
        loss = model.loss(views(seed=step), [])['loss']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    # Weights and BN running statistics bit-identical.
    after = model.backbone.state_dict()
    for key, value in before.items():
        assert torch.equal(value, after[key]), key
    assert all(not p.requires_grad and p.grad is None
               for p in model.backbone.parameters())
    assert not any(m.training for m in model.backbone.modules())
    # Only the projection head (and its EMA) moved.
    assert any(not torch.equal(v, model.neck.state_dict()[k])
               for k, v in neck_before.items())
    assert int(model.momentum_neck.steps) == 3


def test_train_keeps_backbone_in_eval_mode():
    model = _build()
    model.train(True)
    assert model.neck.training
    assert not any(m.training for m in model.backbone.modules())


def test_one_backbone_copy_and_one_batched_forward():
    model = _build()
    backbone_params = {id(p) for p in model.backbone.parameters()}
    other = [n for n, p in model.named_parameters()
             if id(p) not in backbone_params]
    # Only the head and its momentum copy besides the backbone.
    assert all(n.startswith(('neck.', 'momentum_neck.')) for n in other)
    n_backbone = sum(p.numel() for p in model.backbone.parameters())
    n_total = sum(p.numel() for p in model.parameters())
    n_neck = sum(p.numel() for p in model.neck.parameters())
    assert n_total == n_backbone + 2 * n_neck

    calls = []
    model.backbone.register_forward_hook(
        lambda m, inp, out: calls.append((inp[0].shape[0],
                                          torch.is_grad_enabled())))
    model.loss(views(n=4), [])
    assert calls == [(8, False)]  # both views at once, without autograd


def test_queue_receives_momentum_keys():
    model = _build()
    im_q, im_k = views(n=4)
    model.loss([im_q, im_k], [])
    with torch.no_grad():
        feats = model.backbone(im_k)
        keys = torch.nn.functional.normalize(model.momentum_neck(feats)[0],
                                             dim=1)
    state = model.state_dict()
    torch.testing.assert_close(state['queue'][:, :4], keys.t())
    assert int(state['queue_ptr']) == 4
