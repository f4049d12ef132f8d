"""Reading, writing and pairing official-format label files."""
import numpy as np
import pytest

from mmdistill.evaluation.label_files import (LabelFileError,
                                              find_prediction_file,
                                              pair_label_files,
                                              read_label_file,
                                              read_label_pair,
                                              write_label_file)


def write(path, text):
    path.write_text(text)
    return path


def test_round_trip(tmp_path):
    path = tmp_path / 'video41-phase.txt'
    write_label_file(path, [0, 0, 6], 'cholec80', frames=[0, 25, 50])
    assert path.read_text() == ('Frame\tPhase\n0\tPreparation\n'
                                '25\tPreparation\n50\tGallbladderRetraction\n')
    frames, phases = read_label_file(path, 'cholec80')
    assert frames.tolist() == [0, 25, 50]
    assert phases.tolist() == [0, 0, 6]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_m2cai16_vocabulary(tmp_path):
    path = write(tmp_path / 'workflow_video_01.txt',
                 'Frame Phase\n0 TrocarPlacement\n1  Preparation\n\n')
    assert read_label_file(path, 'm2cai16')[1].tolist() == [0, 1]
    with pytest.raises(LabelFileError, match='unknown phase.*TrocarPlacement'):
        read_label_file(path, 'cholec80')


@pytest.mark.parametrize('text, message', [
    ('', 'empty file'),
    ('Frame\tPhase\n', 'no label rows'),
    ('0\tPreparation\n1\tPreparation\n', r':1: the first line is a data row'),
    ('Frame\tPhase\n0\tPreparation\n1\tPreparation extra\n',
     r':3: expected "frame<TAB>phase-name"'),
    ('Frame\tPhase\nzero\tPreparation\n', r":2: frame 'zero' is not"),
    ('Frame\tPhase\n0\tPrep\n', r":2: unknown phase 'Prep'"),
])
def test_malformed_files_are_named(tmp_path, text, message):
    path = write(tmp_path / 'bad.txt', text)
    with pytest.raises(LabelFileError, match=message) as error:
        read_label_file(path, 'cholec80')
    assert str(path) in str(error.value)


def test_pair_checks_lengths_and_frames(tmp_path):
    gt = write(tmp_path / 'gt.txt', 'Frame\tPhase\n0\tPreparation\n'
               '25\tPreparation\n')
    short = write(tmp_path / 'short.txt', 'Frame\tPhase\n0\tPreparation\n')
    shifted = write(tmp_path / 'shifted.txt', 'Frame\tPhase\n0\tPreparation\n'
                    '1\tPreparation\n')
    with pytest.raises(LabelFileError, match='short.txt: 1 rows but .*gt.txt'):
        read_label_pair(gt, short, 'cholec80')
    with pytest.raises(LabelFileError, match='row 2 is frame 1 .* frame 25'):
        read_label_pair(gt, shifted, 'cholec80')
    assert [a.tolist() for a in read_label_pair(gt, gt, 'cholec80')] == \
        [[0, 0], [0, 0]]


def test_pairing_rules(tmp_path):
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    for name in ('video41-phase.txt', 'video42-phase.txt'):
        write_label_file(gt_dir / name, [0], 'cholec80')
    write_label_file(pred_dir / 'video41-phase.txt', [0], 'cholec80')
    write_label_file(pred_dir / 'video42-phase_pred.txt', [0], 'cholec80')
    pairs = pair_label_files(gt_dir, pred_dir)
    assert [(n, g.name, p.name) for n, g, p in pairs] == [
        ('video41', 'video41-phase.txt', 'video41-phase.txt'),
        ('video42', 'video42-phase.txt', 'video42-phase_pred.txt'),
    ]
    write_label_file(pred_dir / 'video41-phase_pred.txt', [0], 'cholec80')
    with pytest.raises(LabelFileError, match='Ambiguous prediction'):
        find_prediction_file(gt_dir / 'video41-phase.txt', pred_dir)
    with pytest.raises(LabelFileError, match='No prediction for .*video43'):
        find_prediction_file(gt_dir / 'video43-phase.txt', gt_dir)


def test_same_directory_for_gt_and_predictions(tmp_path):
    write_label_file(tmp_path / 'v1.txt', [0, 1], 'cholec80')
    write_label_file(tmp_path / 'v1_pred.txt', [1, 1], 'cholec80')
    (name, gt, pred), = pair_label_files(tmp_path, tmp_path)
    assert (name, gt.name, pred.name) == ('v1', 'v1.txt', 'v1_pred.txt')
    np.testing.assert_array_equal(
        read_label_pair(gt, pred, 'cholec80')[1], [1, 1])
