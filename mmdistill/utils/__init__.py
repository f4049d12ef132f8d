from .checkpoint import (CheckpointError, get_state_dict, load_checkpoint_file,
                         parse_config_literals,
                         register_checkpoint_safe_globals,
                         save_checkpoint_file)
from .fileio import atomic_write, write_bytes_atomic, write_text_atomic
from .launch import (enable_amp, finish_distributed, set_dataloader_defaults,
                     setup_distributed_backend)

__all__ = [
    'CheckpointError', 'atomic_write', 'enable_amp', 'finish_distributed',
    'get_state_dict',
    'load_checkpoint_file', 'parse_config_literals',
    'register_checkpoint_safe_globals', 'save_checkpoint_file',
    'set_dataloader_defaults', 'setup_distributed_backend',
    'write_bytes_atomic', 'write_text_atomic'
]
