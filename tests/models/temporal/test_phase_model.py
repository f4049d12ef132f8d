"""TemporalPhaseModel and its padding data preprocessor."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmdistill.registry import MODELS, VIDEO_MODELS

D, C = 5, 3


def build_model(causal: bool = False, num_stages: int = 2):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='TemporalPhaseModel',
            tcn=dict(
                type='MultiStageTCN',
                in_channels=D,
                num_classes=C,
                num_stages=num_stages,
                num_layers=3,
                num_f_maps=8,
                causal=causal,
                dropout=0.),
            loss_smooth=dict(type='TruncatedMSELoss', tau=1., loss_weight=1.)))


def video(length: int, name: str):
    sample = DataSample(metainfo=dict(video_name=name))
    sample.gt_phase = torch.randint(0, C, (length, ))
    return torch.randn(length, D), sample


def test_registered_in_both_registries():
    for name in ('TemporalPhaseModel', 'PhaseSequencePreprocessor',
                 'MultiStageTCN', 'TruncatedMSELoss'):
        assert MODELS.get(name) is VIDEO_MODELS.get(name)


def test_preprocessor_pads_and_builds_mask():
    model = build_model()
    a, b = torch.randn(5, D), torch.randn(2, D)
    data = model.data_preprocessor(
        dict(inputs=[a, b], data_samples=['sa', 'sb']))
    assert data['inputs'].shape == (2, D, 5)
    torch.testing.assert_close(data['inputs'][0], a.T)
    torch.testing.assert_close(data['inputs'][1, :, :2], b.T)
    assert (data['inputs'][1, :, 2:] == 0).all()
    assert data['mask'].tolist() == [[True] * 5, [True] * 2 + [False] * 3]
    assert data['data_samples'] == ['sa', 'sb']
    stacked = model.data_preprocessor(dict(inputs=a[None]))
    torch.testing.assert_close(stacked['inputs'], a.T[None])


def test_preprocessor_rejects_bad_inputs():
    model = build_model()
    with pytest.raises(ValueError, match=r'\[T, D\]'):
        model.data_preprocessor(dict(inputs=[torch.randn(4)]))
    with pytest.raises(ValueError, match='dimensions differ'):
        model.data_preprocessor(
            dict(inputs=[torch.randn(4, D),
                         torch.randn(4, D + 1)]))


def test_loss_per_stage_against_cross_entropy():
    model = build_model()
    feats, sample = video(9, 'v')
    data = model.data_preprocessor(
        dict(inputs=[feats], data_samples=[sample]), True)
    losses = model(**data, mode='loss')
    assert sorted(losses) == [
        'loss_cls_s0', 'loss_cls_s1', 'loss_smooth_s0', 'loss_smooth_s1'
    ]
    logits = model(data['inputs'], mode='tensor')
    for i in range(2):
        expected = F.cross_entropy(logits[i, 0].T, sample.gt_phase)
        assert losses[f'loss_cls_s{i}'].item() == pytest.approx(
            expected.item(), rel=1e-6)
        assert losses[f'loss_smooth_s{i}'].item() == pytest.approx(
            model.loss_smooth(logits[i]).item(), rel=1e-6)


@pytest.mark.parametrize('causal', [True, False])
def test_padded_batch_gives_the_losses_of_the_videos_alone(causal):
    model = build_model(causal)
    (fa, sa), (fb, sb) = video(12, 'a'), video(7, 'b')

    def losses(feats, samples):
        data = model.data_preprocessor(
            dict(inputs=feats, data_samples=samples), True)
        return model(**data, mode='loss')

    alone_a, alone_b, batch = losses([fa],
                                     [sa]), losses([fb],
                                                   [sb]), losses([fa, fb],
                                                                 [sa, sb])
    for key in batch:
        # Frames (cls) or consecutive pairs (smooth) of the two videos.
        na, nb = (12, 7) if 'cls' in key else (11, 6)
        expected = (na * alone_a[key] + nb * alone_b[key]) / (na + nb)
        assert batch[key].item() == pytest.approx(expected.item(), rel=1e-5)

    # A video padded with garbage frames, alone in its batch.
    padded = torch.cat([fb, 100 * torch.randn(5, D)]).T[None]
    mask = torch.arange(12)[None] < 7
    garbage = model(padded, [sb], mode='loss', mask=mask)
    for key in garbage:
        assert garbage[key].item() == pytest.approx(
            alone_b[key].item(), rel=1e-5)


def test_predict_returns_unpadded_scores_per_video():
    model = build_model().eval()
    (fa, sa), (fb, sb) = video(10, 'a'), video(4, 'b')
    data = model.data_preprocessor(
        dict(inputs=[fa, fb], data_samples=[sa, sb]))
    with torch.no_grad():
        results = model(**data, mode='predict')
        alone_b = model(fb.T[None], mode='tensor')[-1, 0].softmax(dim=0).T
    assert [r.video_name for r in results] == ['a', 'b']
    for result, length, gt in zip(results, (10, 4), (sa, sb)):
        assert result.phase_score.shape == (length, C)
        torch.testing.assert_close(
            result.phase_score.sum(dim=1), torch.ones(length))
        assert torch.equal(result.pred_phase, result.phase_score.argmax(dim=1))
        assert result.pred_phase.dtype == torch.long
        assert torch.equal(result.gt_phase, gt.gt_phase)
    torch.testing.assert_close(results[1].phase_score, alone_b)


def test_wrong_label_length_names_the_video():
    model = build_model()
    feats, sample = video(6, 'video07')
    sample.gt_phase = sample.gt_phase[:5]
    data = model.data_preprocessor(dict(inputs=[feats], data_samples=[sample]))
    with pytest.raises(ValueError, match='video07'):
        model(**data, mode='loss')
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(data['inputs'], mode='features')
