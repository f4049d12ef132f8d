"""Feature directories as feature extraction writes them, for tests."""
import json
import os.path as osp
from typing import Callable, Dict, Tuple

import numpy as np

def write_feature_dir(root: str,
                      videos: Dict[str, Tuple[np.ndarray, np.ndarray, str]],
                      fps: float = 1.0) -> str:
    """Write ``{video: (feats [T, D], labels [T], split)}`` like
    tools/extract_features.py does; returns ``root``."""
    entries = {}
    for name, (feats, labels, split) in videos.items():
        np.save(osp.join(root, f'{name}.npy'), feats.astype(np.float32))
        entries[name] = dict(
            file=f'{name}.npy',
            num_frames=len(feats),
            labels=[int(x) for x in labels],
            split=split)
    feature_dim = next(iter(videos.values()))[0].shape[1]
    index = dict(
        feature_dim=feature_dim,
        fps=fps,
        checkpoint='ckpt.pth',
        config='cfg.py',
        videos=entries)
    with open(osp.join(root, 'index.json'), 'w') as f:
        json.dump(index, f)
    return root
