"""SPT with teacher_bn=dict(mode='recalibrate'): the frozen EfficientNet-
Lite2's BN statistics re-estimated once on surgical batches (precise BN), no weight
changed, carried by the export, not redone on resume."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmdistill.apis.runner import build_runner
from mmdistill.models.pretrained import VARIANTS, export_teacher
from mmdistill.models.pretrained.efficientnet_lite import \
    load_efficientnet_lite
from mmdistill.registry import MODELS
from mmdistill.utils import get_state_dict, load_checkpoint_file
from tiny_models import spt_cfg, views

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
SPT = ('configs/spt/spt_efficientnet-lite2_in1k-sup-bnrecal_1xb16-coslr-2e_'
       'synthetic.py')
STATS = ('running_mean', 'running_var', 'num_batches_tracked')
NUM_BATCHES = 3  # one more than an epoch of the tiny run: it cycles


def tiny(data_root: str, work_dir: str, epochs: int) -> Config:
    cfg = Config.fromfile(osp.join(ROOT, SPT))
    cfg.merge_from_dict({
        'model.queue_len': 16,
        'model.teacher_bn.num_batches': NUM_BATCHES,
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.data_root': data_root,
        'train_dataloader.dataset.indices': 16,
        'train_cfg.max_epochs': epochs,
        'param_scheduler.0.T_max': epochs,
        'param_scheduler.0.end': epochs,
        'default_hooks.logger.interval': 1,
        'custom_hooks': [dict(type='KeyQueueCheckHook')],
    })
    cfg.work_dir = work_dir
    return cfg


def record_train_mode_inputs(module: torch.nn.Module) -> list:
    """The inputs ``module`` gets while in train mode (recalibration)."""
    inputs = []
    module.register_forward_pre_hook(
        lambda m, args: inputs.append(args[0].clone()) if m.training else None)
    return inputs


def is_stat(key: str) -> bool:
    return key.rsplit('.', 1)[-1] in STATS


def test_recalibrated_statistics_are_precise_frozen_and_exported(
        tmp_path, synthetic_data_root):
    public = {
        'timm_model.' + k: v
        for k, v in load_efficientnet_lite(
            VARIANTS['lite2'].imagenet_uri).items()
        if not k.startswith('classifier.')
    }
    work_dir = str(tmp_path / 'spt')
    runner = build_runner(tiny(synthetic_data_root, work_dir, 1),
                          unique_name=True)
    model = runner.model
    first_bn = model.backbone.timm_model.bn1
    seen = record_train_mode_inputs(first_bn)
    runner.train()

    # Hand-computed precise BN of the first layer: the mean over the batches
    # of each batch's channel means and unbiased variances.
    assert len(seen) == NUM_BATCHES
    assert all(x.shape[0] == 16 for x in seen)  # both views of 8 frames
    mean = torch.stack([x.mean((0, 2, 3)) for x in seen]).mean(0)
    var = torch.stack([x.var((0, 2, 3)) for x in seen]).mean(0)
    assert torch.allclose(first_bn.running_mean, mean, atol=1e-5)
    assert torch.allclose(first_bn.running_var, var, rtol=1e-4)
    assert int(first_bn.num_batches_tracked) == NUM_BATCHES
    assert int(model.teacher_bn_batches) == NUM_BATCHES

    state = model.backbone.state_dict()
    assert sorted(state) == sorted(public)
    for key, value in public.items():
        if is_stat(key):
            continue
        assert torch.equal(state[key], value), key  # no weight changed
    changed = [k for k in public if k.endswith('running_mean')
               and not torch.equal(state[k], public[k])]
    assert len(changed) == sum(k.endswith('running_mean') for k in public)
    assert all(not p.requires_grad and p.grad is None
               for p in model.backbone.parameters())
    assert not any(m.training for m in model.backbone.modules())

    teacher = str(tmp_path / 'teacher.pth')
    export_teacher(osp.join(work_dir, 'epoch_1.pth'), teacher)
    exported = get_state_dict(load_checkpoint_file(teacher))
    for key, value in state.items():
        assert torch.equal(exported['backbone.' + key], value), key
    assert not any(k.startswith('teacher_bn') for k in exported)

    # Resumed for a second epoch: not redone, the statistics stay frozen.
    runner = build_runner(tiny(synthetic_data_root, work_dir, 2),
                          resume=True, unique_name=True)
    again = record_train_mode_inputs(runner.model.backbone.timm_model.bn1)
    runner.train()
    assert runner.epoch == 2 and again == []
    resumed = runner.model.backbone.state_dict()
    for key, value in state.items():
        assert torch.equal(resumed[key], value), key


def test_recalibrate_without_its_hook_names_it():
    model = MODELS.build(
        dict(spt_cfg(), teacher_bn=dict(mode='recalibrate', num_batches=2)))
    assert model.teacher_bn_pending
    with pytest.raises(RuntimeError, match='TeacherBNRecalibrationHook'):
        model.loss(views(), [])


def test_frozen_is_the_default_and_saves_no_marker():
    model = MODELS.build(spt_cfg())
    assert model.teacher_bn == dict(mode='frozen', num_batches=200)
    assert not model.teacher_bn_pending
    assert not any(k.startswith('teacher_bn') for k in model.state_dict())


@pytest.mark.parametrize('teacher_bn, match', [
    (dict(mode='train'), "mode one of \\('frozen', 'recalibrate'\\)"),
    (dict(mode='recalibrate', batches=2), 'num_batches'),
    (dict(mode='recalibrate', num_batches=0), 'num_batches must be >= 1'),
])
def test_bad_options_are_refused(teacher_bn, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(spt_cfg(), teacher_bn=teacher_bn))
