from .ema import ForeachCosineEMA, ForeachEMA
from .fold_bn import fold_batch_norms
from .freeze import freeze_module
from .key_queue import (DeferredEnqueueMixin, KeyQueueCheckHook,
                        check_queue_batch, enqueue_keys, gather_keys)
from .precise_bn import TeacherBNRecalibrationHook, recalibrate_batch_norms

__all__ = [
    'DeferredEnqueueMixin', 'ForeachCosineEMA', 'ForeachEMA',
    'KeyQueueCheckHook', 'check_queue_batch', 'fold_batch_norms',
    'freeze_module', 'enqueue_keys', 'gather_keys',
    'TeacherBNRecalibrationHook', 'recalibrate_batch_norms'
]
