"""mmengine's CheckpointHook, made safe against a kill at any moment."""
import os.path as osp
from collections import deque
from typing import Any, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmdistill.registry import HOOKS
from mmdistill.utils.fileio import write_text_atomic


@HOOKS.register_module()
class DurableCheckpointHook(CheckpointHook):
    """Save checkpoints so that a kill never loses the last complete one.

    Takes the arguments of :class:`mmengine.hooks.CheckpointHook`. mmengine
    0.10.7 deletes the outdated checkpoint (``max_keep_ckpts``) *before* it
    writes the new one, writes it under its final name and then rewrites
    ``last_checkpoint`` in place; a kill in between leaves a truncated
    checkpoint and a ``last_checkpoint`` that names a deleted file. Here

    - the checkpoint is written to a temporary name, fsynced and renamed
      (:class:`~mmdistill.engine.DurableLocalBackend`, the default backend
      of this hook for local folders);
    - ``last_checkpoint`` is written the same way, after the checkpoint;
    - outdated checkpoints are removed last. Until they are, the message
      hub lists them in ``keep_ckpt_ids``, so a run resumed from the new
      checkpoint removes them when it starts.
    """

    def __init__(self,
                 interval: int = -1,
                 out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 file_client_args: Optional[dict] = None,
                 **kwargs: Any) -> None:
        local = out_dir is None or '://' not in str(out_dir)
        if backend_args is None and file_client_args is None and local:
            backend_args = dict(backend='durable_local')
        super().__init__(
            interval=interval,
            out_dir=out_dir,
            backend_args=backend_args,
            file_client_args=file_client_args,
            **kwargs)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        keep = list(self.keep_ckpt_ids) if self.max_keep_ckpts > 0 else []
        if self.max_keep_ckpts > 0 and (not keep or keep[-1] != step):
            keep.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', keep)
        outdated = keep[:-self.max_keep_ckpts] if self.max_keep_ckpts > 0 else []

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if self.max_keep_ckpts > 0:
            self.keep_ckpt_ids = deque(keep[len(outdated):],
                                       self.max_keep_ckpts)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        if not is_main_process():
            return
        write_text_atomic(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old_step in outdated:
            self._remove_checkpoint(old_step)

    def _remove_checkpoint(self, step: int) -> None:
        path = self.file_backend.join_path(self.out_dir,
                                           self.filename_tmpl.format(step))
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            # Checkpoints saved by DeepSpeed are folders.
            self.file_backend.rmtree(path)
