"""No top-level key of a merged config looks as if it configures the model
while the model ignores it (issue 11): a top-level key that is also a key of
``model`` must hold the same value. mmengine's Runner reads a top-level
``data_preprocessor`` only as a default for the model's, so a different one
is dead; a top-level ``teacher`` was never read at all."""
import pytest
from mmengine import Config

from config_resolution import config_paths, resolve

DSL_CONFIG = 'configs/dsl/dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py'


@pytest.mark.parametrize('path', config_paths())
def test_top_level_keys_shared_with_the_model_agree(path):
    cfg = resolve(path)
    model = cfg.get('model') or {}
    dead = [key for key in cfg
            if key != 'model' and key in model and cfg[key] != model[key]]
    assert not dead, (f'{path}: top-level {dead} differ from model.{dead[0]}'
                      ' and are not what the model uses')


def test_no_config_has_a_top_level_teacher():
    assert [p for p in config_paths() if 'teacher' in resolve(p)] == []


def test_the_teacher_checkpoint_option_reaches_the_model():
    cfg = Config.fromfile(DSL_CONFIG)
    cfg.merge_from_dict({'model.teacher.checkpoint': 'MY.pth'})
    assert cfg.model.teacher.checkpoint == 'MY.pth'
    assert 'teacher' not in cfg
