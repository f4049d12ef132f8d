"""Every backbone family as SPT teacher and as distilled student.

Each family's example configs (``configs/spt/``, ``configs/dsl/``) are
loaded as a user would, shrunk with ``--cfg-options``-style overrides to a
tiny variant on the synthetic videos (64 px, 16 frames, 2 steps), trained
with the Runner; the checkpoints reload exactly, the student's backbone is
exported with ``tools/model_converters/extract_backbone.py`` and loads into a
downstream classifier. Teachers and students pair up across families in a
cycle, so each family teaches once and learns once -- among them a ViT
teacher for a ResNet student and the reverse.
"""
import copy
import os.path as osp
import subprocess
import sys
from typing import Dict

import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmdistill.registry import MODELS
from mmdistill.utils import get_state_dict, load_checkpoint_file
from tiny_models import BACKBONE, MOCO_HEAD, MOCO_NECK, PREPROCESSOR, views

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
SYNTHETIC_VIEWS = 'configs/_base_/datasets/synthetic_bs8_mocov2.py'
HEAD = {'model.neck.hid_channels': 32, 'model.neck.out_channels': 16,
        'model.feat_dim': 16, 'model.queue_len': 16}
TINY_VIT = {
    'model.backbone.arch': dict(_delete_=True, embed_dims=32, num_layers=2,
                                num_heads=2, feedforward_channels=64),
    'model.backbone.img_size': 64,
    'model.neck.in_channels': 32,
}
# family: (SPT config, DSL config, overrides making the backbone tiny)
FAMILIES = {
    'resnet': (
        'spt/spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py',
        'dsl/dsl-mocov2_resnet50_teacher-deit-small-p16_4xb32-coslr-200e_'
        'cholec80.py',
        {'model.backbone.depth': 18, 'model.neck.in_channels': 512}),
    'vit-cls': (
        'spt/spt_deit-small-p16_in1k-sup_4xb32-coslr-200e_cholec80.py',
        'dsl/dsl-mocov2_deit-small-p16_4xb32-coslr-200e_cholec80.py',
        TINY_VIT),
    'vit-patchmean': (
        'spt/spt_deit-small-p16-patchmean_in1k-sup_4xb32-coslr-200e_'
        'cholec80.py',
        'dsl/dsl-mocov2_deit-small-p16-patchmean_4xb32-coslr-200e_'
        'cholec80.py',
        TINY_VIT),
    'convnext': (
        'spt/spt_convnext-tiny_in1k-sup_4xb32-coslr-200e_cholec80.py',
        'dsl/dsl-mocov2_convnext-tiny_4xb32-coslr-200e_cholec80.py',
        {'model.backbone.arch': dict(_delete_=True, depths=[1, 1, 1, 1],
                                     channels=[8, 16, 24, 32]),
         'model.neck.in_channels': 32}),
    'mobilenet-v2': (
        'spt/spt_mobilenet-v2_in1k-sup_4xb32-coslr-200e_cholec80.py',
        'dsl/dsl-mocov2_mobilenet-v2_4xb32-coslr-200e_cholec80.py',
        {'model.backbone.widen_factor': 0.35}),
    'mobilenet-v3': (
        'spt/spt_mobilenet-v3-small_in1k-sup_4xb32-coslr-200e_cholec80.py',
        'dsl/dsl-mocov2_mobilenet-v3-small_4xb32-coslr-200e_cholec80.py',
        {}),
    'efficientnet': (
        'spt/spt_efficientnet-b0_in1k-sup_4xb32-coslr-200e_cholec80.py',
        'dsl/dsl-mocov2_efficientnet-b0_4xb32-coslr-200e_cholec80.py',
        {}),
    'timm': (
        'spt/spt_timm-convnextv2-tiny_in22k-fcmae-ft-in1k_4xb32-coslr-200e_'
        'cholec80.py',
        'dsl/dsl-mocov2_timm-convnextv2-tiny_4xb32-coslr-200e_cholec80.py',
        {'model.backbone.model_name': 'mobilenetv3_small_050',
         'model.backbone.pretrained': False,
         'model.neck.in_channels': 1024}),
}
# student family: teacher family. Each family teaches once, learns once.
TEACHER_OF = {
    'resnet': 'vit-cls', 'vit-cls': 'resnet', 'vit-patchmean': 'convnext',
    'convnext': 'mobilenet-v2', 'mobilenet-v2': 'mobilenet-v3',
    'mobilenet-v3': 'efficientnet', 'efficientnet': 'timm',
    'timm': 'vit-patchmean'
}


def tiny_config(config: str, overrides: dict, data_root: str,
                work_dir: str) -> Config:
    """``config`` with tiny-backbone ``overrides`` on the synthetic videos,
    one epoch of two batches of 8."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    cfg.merge_from_dict(dict(overrides, **HEAD))
    if cfg.model.backbone.get('init_cfg'):  # no public weights offline
        cfg.model.backbone.init_cfg = None
    synthetic = Config.fromfile(osp.join(ROOT, SYNTHETIC_VIEWS))
    cfg.merge_from_dict({
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.data_root': data_root,
        'train_dataloader.dataset.split_scheme': 'synthetic',
        'train_dataloader.dataset.indices': 16,
        'train_dataloader.dataset.pipeline': synthetic.train_pipeline,
        'train_cfg.max_epochs': 1,
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint.interval': 1,
    })
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    return cfg


def train(cfg: Config) -> Dict[str, dict]:
    """Train ``cfg``; the model's weights before and after, and the reloaded
    checkpoint."""
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()  # the Runner does not initialise it again
    before = copy.deepcopy(runner.model.state_dict())
    runner.train()
    ckpt = osp.join(cfg.work_dir, 'epoch_1.pth')
    return dict(
        before=before,
        after=runner.model.state_dict(),
        reloaded=get_state_dict(load_checkpoint_file(ckpt)),
        checkpoint=ckpt)


def changed(before: dict, after: dict, prefix: str) -> bool:
    return any(not torch.equal(v, after[k]) for k, v in before.items()
               if k.startswith(prefix) and v.is_floating_point())


def assert_reloads(run: dict, cfg: Config) -> None:
    model = MODELS.build(cfg.model)
    model.load_state_dict(run['reloaded'], strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, run['after'][key]), key


@pytest.fixture(scope='module')
def spt_runs(tmp_path_factory, synthetic_data_root):
    """SPT runs per family, trained on first use."""
    runs = {}

    def get(family: str) -> dict:
        if family not in runs:
            spt, _, overrides = FAMILIES[family]
            cfg = tiny_config(spt, overrides, synthetic_data_root,
                              str(tmp_path_factory.mktemp(f'spt-{family}')))
            runs[family] = dict(train(cfg), cfg=cfg)
        return runs[family]

    return get


def teacher_from(spt_run: dict) -> dict:
    """The ``model.teacher`` of a student, from an SPT run's config and
    checkpoint, as a user writes it."""
    model = spt_run['cfg'].model
    backbone = copy.deepcopy(model.backbone)
    backbone.pop('init_cfg', None)
    return dict(
        _delete_=True,
        backbone=backbone,
        neck=model.neck,
        checkpoint=spt_run['checkpoint'],
        mean=model.data_preprocessor.mean,
        std=model.data_preprocessor.std)


@pytest.mark.parametrize('family', list(FAMILIES))
def test_family_as_spt_teacher(spt_runs, family):
    run = spt_runs(family)
    assert changed(run['before'], run['after'], 'neck.')
    assert not changed(run['before'], run['after'], 'backbone.')
    for key, value in run['before'].items():
        if key.startswith('backbone.'):
            assert torch.equal(value, run['after'][key]), key
    assert_reloads(run, run['cfg'])


def probe(backbone_cfg: dict, export: str, reference: dict) -> None:
    """Load the exported backbone into a downstream linear probe and train
    one step of its head."""
    backbone = copy.deepcopy(backbone_cfg)
    backbone['init_cfg'] = dict(
        type='Pretrained', _scope_='mmdistill', checkpoint=export,
        format='mmpretrain')
    built = MODELS.build(dict(backbone, init_cfg=None))
    built.eval()
    with torch.no_grad():
        feat = built(torch.zeros(2, 3, 64, 64))[-1]
    classifier = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling') if feat.dim() == 4 else None,
            head=dict(type='LinearClsHead', num_classes=7,
                      in_channels=feat.shape[1])))
    classifier.init_weights()
    for key, value in classifier.backbone.state_dict().items():
        assert torch.equal(value, reference['backbone.' + key]), key
    classifier.backbone.requires_grad_(False)
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    loss = classifier.loss(torch.randn(4, 3, 64, 64), samples)['loss']
    loss.backward()
    assert loss.isfinite() and classifier.head.fc.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('family', list(FAMILIES))
def test_family_as_distilled_student(spt_runs, family, tmp_path,
                                     synthetic_data_root):
    teacher_run = spt_runs(TEACHER_OF[family])
    _, dsl, overrides = FAMILIES[family]
    cfg = tiny_config(dsl, overrides, synthetic_data_root, str(tmp_path))
    cfg.merge_from_dict({'model.teacher': teacher_from(teacher_run)})
    run = train(cfg)
    assert changed(run['before'], run['after'], 'backbone.')
    assert not any(k.startswith('teacher.') for k in run['reloaded'])
    assert_reloads(run, cfg)

    export = str(tmp_path / 'backbone.pth')
    proc = subprocess.run(
        [sys.executable, 'tools/model_converters/extract_backbone.py',
         run['checkpoint'], export],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    exported = get_state_dict(load_checkpoint_file(export))
    assert set(exported) == {k for k in run['after']
                             if k.startswith('backbone.')}
    probe(cfg.model.backbone, export, run['after'])


def test_backbone_swap_on_the_command_line():
    """``--cfg-options model.backbone.type=VisionTransformer`` keeps the
    ResNet keys (``depth``) and fails; ``model.backbone._delete_=True``
    replaces the backbone, and the neck check names what else to set."""
    cfg_file = osp.join(
        ROOT, 'configs/spt/spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py')

    def build(*options):
        cfg = Config.fromfile(cfg_file)
        action = DictAction(option_strings=[], dest='cfg_options')
        namespace = type('Args', (), {})()
        action(None, namespace, list(options))
        cfg.merge_from_dict(namespace.cfg_options)
        return MODELS.build(cfg.model)

    with pytest.raises(TypeError, match="unexpected keyword argument 'depth'"):
        build('model.backbone.type=VisionTransformer')
    swap = ('model.backbone._delete_=True',
            'model.backbone.type=VisionTransformer',
            'model.backbone.arch=deit-tiny', 'model.backbone.img_size=64')
    with pytest.raises(ValueError, match='model.neck.with_avg_pool=False'):
        build(*swap)
    with pytest.raises(ValueError, match='model.neck.in_channels=192'):
        build(*swap, 'model.neck.with_avg_pool=False')
    model = build(*swap, 'model.neck.with_avg_pool=False',
                  'model.neck.in_channels=192')
    assert type(model.backbone).__name__ == 'VisionTransformer'


@pytest.mark.parametrize('embed', ['cls_token', 'patch_mean'])
def test_timm_vit_teacher_without_neck(embed):
    """A timm ViT through TIMMBackbone returns all its tokens: as a
    neck-less teacher it embeds the class token or the patch-token mean."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='DistilledMoCo',
            backbone=BACKBONE,
            neck=MOCO_NECK,
            head=MOCO_HEAD,
            teacher=dict(
                backbone=dict(type='TIMMBackbone', model_name='test_vit',
                              pretrained=False),
                embed=embed),
            queue_len=16,
            feat_dim=16,
            data_preprocessor=PREPROCESSOR))
    assert model.teacher.embed_dim == 64
    assert model.teacher_queue.shape == (64, 16)
    losses = model.loss(views(n=4, size=160), [])
    assert losses['loss_distill'].isfinite()
    assert int(model.state_dict()['queue_ptr']) == 4  # keys land after the step
