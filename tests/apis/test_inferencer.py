"""PhaseInferencer on raw synthetic videos: accuracy, prefix invariance,
outputs that round-trip through the evaluation, early checks."""
import os.path as osp

import cv2
import decord
import numpy as np
import pytest
import torch
from inference_models import TrainedModels, trained_models
from mmpretrain.apis import ImageClassificationInferencer

from mmdistill.apis import InferenceSetupError, PhaseInferencer
from mmdistill.datasets import SurgicalDataError
from mmdistill.evaluation import evaluate_phases, read_label_pair
from mmdistill.evaluation.label_files import write_label_file
from mmdistill.models.temporal import TemporalPhaseModel
from mmdistill.visualization import PHASE_COLORS

# Accuracy over the best constant prediction (the unseen video's most
# frequent phase) that the trained models must reach; observed: about 0.3.
MARGIN = 0.15


@pytest.fixture(scope='module')
def models(tmp_path_factory, synthetic_raw_dir,
           synthetic_data_root) -> TrainedModels:
    return trained_models(tmp_path_factory, synthetic_raw_dir,
                          synthetic_data_root)


@pytest.fixture(scope='module')
def inferencer(models) -> PhaseInferencer:
    return PhaseInferencer(models.frame_config, models.frame_checkpoint,
                           models.temporal_config, models.temporal_checkpoint)


def test_unseen_video_beats_the_majority_class_and_round_trips(
        models, inferencer, tmp_path):
    prediction = inferencer(models.video())
    gt = models.labels()
    assert prediction.probs.shape == (len(gt), 7)
    np.testing.assert_allclose(prediction.probs.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(prediction.labels,
                                  prediction.probs.argmax(axis=1))
    np.testing.assert_allclose(prediction.times, np.arange(len(gt)))
    accuracy = (prediction.labels == gt).mean()
    majority = np.bincount(gt).max() / len(gt)
    assert accuracy >= majority + MARGIN, (accuracy, majority)

    paths = inferencer.save(prediction, str(tmp_path))
    assert sorted(paths) == ['pred', 'probs', 'ribbon']
    assert paths['pred'] == str(tmp_path / 'video04_pred.txt')
    gt_file = tmp_path / 'gt' / 'video04.txt'
    write_label_file(gt_file, gt, 'cholec80')
    gt_read, pred_read = read_label_pair(gt_file, paths['pred'], 'cholec80')
    np.testing.assert_array_equal(pred_read, prediction.labels)
    report = evaluate_phases({'video04': (gt_read, pred_read)}, 'cholec80',
                             1, 'strict')['strict']
    assert report['accuracy']['mean'] == pytest.approx(100 * accuracy)

    with open(paths['probs']) as f:
        header = f.readline().strip().split(',')
        table = np.loadtxt(f, delimiter=',')
    assert header == ['time'] + list(prediction.phases)
    np.testing.assert_allclose(table[:, 0], prediction.times)
    np.testing.assert_allclose(table[:, 1:], prediction.probs, atol=1e-6)
    assert open(paths['ribbon'], 'rb').read(8) == b'\x89PNG\r\n\x1a\n'


def test_online_equals_offline_causal_on_every_prefix(models, inferencer):
    """Prefix invariance: the online prediction at t equals the offline
    causal prediction on the video cut after frame t, for every t."""
    online = inferencer(models.video(), online=True)
    feats, _ = inferencer.frame_features(
        inferencer.open(models.video()).frames())
    assert len(feats) == len(online.probs)
    for t in range(len(feats)):
        truncated = inferencer.temporal_probs(feats[:t + 1])
        np.testing.assert_allclose(
            online.probs[t], truncated[-1].numpy(), rtol=0, atol=1e-5)
    offline = inferencer(models.video())
    np.testing.assert_allclose(online.probs, offline.probs, rtol=0,
                               atol=1e-5)


def test_frame_model_alone_matches_mmpretrain_inferencer(models):
    """Without a TCN the probabilities are the frame classifier's, as
    mmpretrain's own inferencer computes them on the same decoded frames."""
    ours = PhaseInferencer(models.frame_config, models.frame_checkpoint)
    frames = list(ours.open(models.video()).frames())[:12]
    reference = ImageClassificationInferencer(
        models.frame_config, pretrained=models.frame_checkpoint)
    expected = np.stack([
        r['pred_scores']
        for r in reference([f[..., ::-1].copy() for f in frames])
    ])
    stream = ours.stream()
    online = np.stack([stream.push(f).numpy() for f in frames])
    _, offline = ours.frame_features(iter(frames))
    np.testing.assert_allclose(offline.numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(online, expected, atol=1e-5)


def test_overlay_video_decodes_with_one_frame_per_prediction(
        models, inferencer, tmp_path):
    prediction = inferencer(models.video(), online=True)
    path = inferencer.save(prediction, str(tmp_path), overlay=True)['overlay']
    assert path == str(tmp_path / 'video04_overlay.mp4')
    reader = decord.VideoReader(path)
    assert len(reader) == len(prediction.labels)
    last = reader[len(reader) - 1].asnumpy()
    assert last.shape == (128, 160, 3)  # the native size of the source
    # The timeline bar is full at the end, in the last phase's colour.
    colour = np.array(
        [int(PHASE_COLORS[prediction.phases[prediction.labels[-1]]][i:i + 2],
             16) for i in (1, 3, 5)])
    assert np.abs(last[-3, 150].astype(int) - colour).max() < 40
    assert not list(tmp_path.glob('.*'))


def test_checkpoint_classes_must_match_the_phase_list(models):
    with pytest.raises(InferenceSetupError) as info:
        PhaseInferencer(models.frame_config, models.frame_checkpoint,
                        dataset='m2cai16')
    message = str(info.value)
    assert models.frame_checkpoint in message
    assert '7 classes' in message and 'm2cai16 has 8' in message


def test_temporal_input_dim_must_match_the_frame_features(models, tmp_path):
    torch.manual_seed(0)
    tcn = TemporalPhaseModel(
        dict(type='MultiStageTCN', in_channels=64, num_classes=7,
             num_stages=2, num_layers=4, num_f_maps=16, causal=True))
    checkpoint = str(tmp_path / 'tcn_64.pth')
    torch.save(dict(state_dict=tcn.state_dict()), checkpoint)
    with pytest.raises(InferenceSetupError) as info:
        PhaseInferencer(models.frame_config, models.frame_checkpoint,
                        models.temporal_config, checkpoint)
    message = str(info.value)
    assert checkpoint in message and models.frame_checkpoint in message
    assert '64-d' in message and '128-d' in message


def test_offline_tcn_refuses_online_mode(models, tmp_path):
    config = tmp_path / 'mstcn.py'
    config.write_text(
        f'_base_ = [{models.temporal_config!r}]\n'
        'model = dict(tcn=dict(causal=False))\n')
    inferencer = PhaseInferencer(models.frame_config, models.frame_checkpoint,
                                 str(config), models.temporal_checkpoint)
    with pytest.raises(InferenceSetupError, match='causal'):
        inferencer(models.video(), online=True)


def test_backbone_only_checkpoint_needs_a_temporal_model(models, tmp_path):
    state = torch.load(models.frame_checkpoint, weights_only=True)
    backbone = {k: v for k, v in state['state_dict'].items()
                if k.startswith('backbone.')}
    checkpoint = str(tmp_path / 'backbone.pth')
    torch.save(dict(state_dict=backbone), checkpoint)
    with pytest.raises(InferenceSetupError, match='no classifier weights'):
        PhaseInferencer(models.frame_config, checkpoint)
    # With a TCN the backbone is all that is needed.
    PhaseInferencer(models.frame_config, checkpoint, models.temporal_config,
                    models.temporal_checkpoint)


@pytest.mark.parametrize('damage', ['garbage', 'truncated'])
def test_corrupt_video_fails_before_inference(models, inferencer, tmp_path,
                                              damage):
    path = tmp_path / 'broken.mp4'
    data = open(models.video(), 'rb').read()
    path.write_bytes(b'\x00not a video' * 100 if damage == 'garbage' else
                     data[:len(data) // 2])
    with pytest.raises(SurgicalDataError) as info:
        inferencer.open(str(path))
    assert str(path) in str(info.value)


def test_config_needing_a_prepared_dataset(models, tmp_path):
    """A Cholec80-style test pipeline (centre crop, no resize) needs the size
    of the prepared frames; without the prepared data the error says how to
    give it."""
    config = tmp_path / 'cholec80_frames.py'
    config.write_text(
        f'_base_ = [{models.frame_config!r}]\n'
        "test_dataloader = dict(dataset=dict(data_root='/nonexistent/c80',\n"
        "    pipeline=[dict(type='LoadImageFromFile'),\n"
        "              dict(type='CenterCrop', crop_size=56),\n"
        "              dict(type='PackInputs')]))\n")
    with pytest.raises(InferenceSetupError) as info:
        PhaseInferencer(str(config), models.frame_checkpoint)
    message = str(info.value)
    assert str(config) in message and '/nonexistent/c80/meta.json' in message
    assert '--size' in message and '--data-root' in message
    # Given the size, it runs.
    inferencer = PhaseInferencer(str(config), models.frame_checkpoint,
                                 size=(64, 64))
    assert len(inferencer(models.video()).labels) == len(models.labels())


def test_missing_prepared_data_root_is_named(models, tmp_path):
    with pytest.raises(InferenceSetupError, match='nowhere/meta.json'):
        PhaseInferencer(models.frame_config, models.frame_checkpoint,
                        data_root=str(tmp_path / 'nowhere'))


def test_other_container_and_codec(models, inferencer, tmp_path):
    """Any file decord reads: the video re-encoded as Motion-JPEG AVI gives
    the same number of frames and nearly the same phases; outputs are named
    after the file's stem."""
    reader = decord.VideoReader(models.video())
    path = tmp_path / 'case 7.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'),
                             reader.get_avg_fps(), (160, 128))
    for i in range(len(reader)):
        writer.write(reader[i].asnumpy()[..., ::-1])
    writer.release()
    prediction = inferencer(str(path))
    reference = inferencer(models.video())
    assert len(prediction.labels) == len(reference.labels)
    assert (prediction.labels == reference.labels).mean() >= 0.9
    paths = inferencer.save(prediction, str(tmp_path / 'out'))
    assert osp.basename(paths['pred']) == 'case 7_pred.txt'
