"""Surgical phase-recognition evaluation: official (relaxed) and strict."""
from .knn import knn_predict, knn_scores
from .label_files import (LabelFileError, find_prediction_file,
                          pair_label_files, read_label_dirs, read_label_file,
                          read_label_pair, write_label_file)
from .phase_metric import (PhaseMetric, evaluate_phases, format_report,
                           results_to_json)
from .relaxed import relaxed_report
from .strict import strict_report

__all__ = [
    'LabelFileError', 'PhaseMetric', 'evaluate_phases', 'find_prediction_file',
    'format_report', 'knn_predict', 'knn_scores', 'relaxed_report',
    'pair_label_files', 'read_label_dirs', 'read_label_file',
    'read_label_pair', 'results_to_json', 'strict_report', 'write_label_file'
]
