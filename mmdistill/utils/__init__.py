from .checkpoint import (CheckpointError, get_state_dict, load_checkpoint_file,
                         register_checkpoint_safe_globals,
                         save_checkpoint_file)
from .launch import (enable_amp, set_dataloader_defaults,
                     setup_distributed_backend)

__all__ = [
    'CheckpointError', 'enable_amp', 'get_state_dict', 'load_checkpoint_file',
    'register_checkpoint_safe_globals', 'save_checkpoint_file',
    'set_dataloader_defaults',
    'setup_distributed_backend'
]
