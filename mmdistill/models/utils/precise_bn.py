"""Re-estimating the BatchNorm statistics of a frozen teacher (precise BN).

A public backbone's BN running statistics describe its pretraining images
(ImageNet), not surgical frames. The released code of "Distilling
Self-Supervisions" left the teacher's BN in train mode, so its features used
the statistics of each surgical batch, drifting as training went. Here the
same effect is deterministic and done once: the statistics are re-estimated
on ``N`` surgical batches before SPT trains the head and frozen afterwards
(``SPT(teacher_bn=dict(mode='recalibrate', num_batches=N))``), as "precise
BN" (Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021) does: each
statistic is the equal-weight mean over the batches (PyTorch's cumulative
average, ``momentum=None``) of the batch means and of the unbiased batch
variances. No weight changes and no gradient is computed.
"""
import copy
import itertools
from typing import Iterable

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.nn.modules.batchnorm import _BatchNorm

from mmdistill.registry import HOOKS

BN_MODES = ('frozen', 'recalibrate')


@torch.no_grad()
def recalibrate_batch_norms(module: nn.Module,
                            batches: Iterable[torch.Tensor]) -> int:
    """Replace the running statistics of every BN in ``module`` by their
    cumulative average over ``batches``.

    Only the BN layers run in train mode; every other layer stays in the
    mode it is in (a frozen module: eval, no dropout). Afterwards each BN is
    in eval mode with its original ``momentum``. With several processes each
    rank averages its own batches and the ranks' averages are averaged
    (``all_reduce``), which is the average over all batches when every rank
    runs as many.

    Args:
        module: The network whose BN statistics are re-estimated.
        batches: Inputs to ``module``.

    Returns:
        int: The number of batches used.

    Raises:
        ValueError: If ``module`` has no BN with running statistics, or
            ``batches`` is empty. On any error the statistics are left as
            they were.
    """
    norms = [
        m for m in module.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats
    ]
    if not norms:
        raise ValueError(f'{type(module).__name__} has no BatchNorm with '
                         f'running statistics to recalibrate.')
    saved = [(m.momentum, copy.deepcopy(m.state_dict())) for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
        norm.train()
    count = 0
    try:
        for inputs in batches:
            module(inputs)
            count += 1
        if count == 0:
            raise ValueError('No batch to recalibrate the BatchNorm '
                             'statistics with: the input is empty.')
    except BaseException:
        for norm, (_, state) in zip(norms, saved):
            norm.load_state_dict(state)
        raise
    finally:
        for norm, (momentum, _) in zip(norms, saved):
            norm.momentum = momentum
            norm.eval()
    if get_world_size() > 1:
        for norm in norms:
            all_reduce(norm.running_mean, op='mean')
            all_reduce(norm.running_var, op='mean')
    return count


@HOOKS.register_module()
class TeacherBNRecalibrationHook(Hook):
    """Runs a model's BN recalibration once, on the training data.

    At ``before_train`` -- after a resume has restored the model -- a model
    whose ``teacher_bn_pending`` is true (:class:`SPT` with
    ``teacher_bn=dict(mode='recalibrate')`` that has not recalibrated yet)
    gets its ``num_batches`` preprocessed training batches, cycling through
    epochs of the training dataloader if it is shorter. The model records
    that it is done in a buffer saved with its checkpoints, so a resumed run
    (or a run loading those weights) does not redo it. Runs before the
    k-NN monitor's first measurement. A no-op for other models; configs add
    it as ``default_hooks.teacher_bn=dict(type='TeacherBNRecalibrationHook')``
    (a dict entry merges with the base config's hooks, a ``custom_hooks``
    list would replace them).
    """

    priority = 'ABOVE_NORMAL'

    def before_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if not getattr(model, 'teacher_bn_pending', False):
            return
        loader = runner.train_dataloader
        if len(loader) == 0:
            raise ValueError('No batch to recalibrate the BatchNorm '
                             'statistics with: the training dataloader is '
                             'empty.')
        batches = itertools.islice(
            itertools.chain.from_iterable(itertools.repeat(loader)),
            model.teacher_bn['num_batches'])
        count = model.recalibrate_teacher_bn(
            model.data_preprocessor(data, True)['inputs']
            for data in batches)
        runner.logger.info(
            f'Re-estimated the BatchNorm statistics of the frozen backbone '
            f'on {count} training batches (precise BN); they stay frozen.')
