"""A hook that kills the training process, to test resuming after a crash."""
import os

from mmengine.hooks import Hook

from mmdistill.registry import HOOKS


@HOOKS.register_module()
class CrashAfterEpochHook(Hook):
    """Exit the process abruptly (no cleanup) once epoch ``epoch`` ended and
    its checkpoint was written."""

    priority = 'LOWEST'

    def __init__(self, epoch: int = 1) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:
            os._exit(3)
