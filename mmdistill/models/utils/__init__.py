from .ema import ForeachCosineEMA, ForeachEMA
from .fold_bn import fold_batch_norms
from .freeze import freeze_module
from .key_queue import enqueue_keys, gather_keys

__all__ = [
    'ForeachCosineEMA', 'ForeachEMA', 'fold_batch_norms', 'freeze_module',
    'enqueue_keys', 'gather_keys'
]
