from .checkpoint import (CheckpointError, get_state_dict, load_checkpoint_file,
                         register_checkpoint_safe_globals)

__all__ = [
    'CheckpointError', 'get_state_dict', 'load_checkpoint_file',
    'register_checkpoint_safe_globals'
]
