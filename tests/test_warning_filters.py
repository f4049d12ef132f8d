"""mmdistill.warning_filters: importing the package and building the demo's
models shows none of the known third-party warnings, and nothing else is
filtered."""
import os
import os.path as osp
import subprocess
import sys
import warnings

from mmdistill.warning_filters import KNOWN_WARNINGS, filter_known_warnings

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BUILD = """
import warnings
warnings.simplefilter('default')
import mmdistill
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmdistill.registry import MODELS
init_default_scope('mmpretrain')
for config in {configs!r}:
    MODELS.build(Config.fromfile(config).model)
"""
CONFIGS = [
    osp.join(REPO, 'configs', 'mocov2',
             'mocov2_resnet18_1xb16-coslr-2e_synthetic.py'),
    osp.join(REPO, 'configs', 'spt',
             'spt_efficientnet-lite0_in1k-sup_1xb16-coslr-2e_synthetic.py'),
]


def test_import_and_build_show_no_known_warning():
    env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, '-c',
                          BUILD.format(configs=CONFIGS)],
                         env=env, capture_output=True, text=True,
                         check=True)
    for message, _ in KNOWN_WARNINGS:
        assert message[:40] not in out.stderr
    # Without the filters the first one does show (the test can fail).
    raw = subprocess.run([
        sys.executable, '-W', 'default', '-c',
        'import mmcv.cnn.bricks.transformer'
    ], env=env, capture_output=True, text=True, check=True)
    assert KNOWN_WARNINGS[0][0][:40] in raw.stderr


def test_only_the_exact_messages_are_filtered():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        filter_known_warnings()
        for message, category in KNOWN_WARNINGS:
            warnings.warn(message, category)
        warnings.warn('Fail to import something else', UserWarning)
        warnings.warn(KNOWN_WARNINGS[0][0], RuntimeWarning)
    assert [str(w.message) for w in caught] == [
        'Fail to import something else', KNOWN_WARNINGS[0][0]
    ]
