"""k-NN phase classification against hand computations."""
import math

import numpy as np
import torch

from mmdistill.evaluation import knn_predict, knn_scores


def _unit(degrees):
    angles = np.deg2rad(np.atleast_1d(degrees))
    return torch.tensor(np.stack([np.cos(angles), np.sin(angles)], 1))


def test_weighted_vote_matches_hand_computation():
    memory = _unit([0., 20., 40., 90.])
    labels = torch.tensor([0, 1, 1, 0])
    query = 3 * _unit(5.)  # cosine similarity ignores the norm
    cos = [math.cos(math.radians(d)) for d in (5., 15., 35., 85.)]
    # k=1: the 0-degree neighbour alone.
    assert knn_predict(query, memory, labels, 2, k=1) == 0
    # k=3, T=0.5: class 0 gets exp(cos5/T); class 1 exp(cos15/T) +
    # exp(cos35/T), which is larger.
    assert math.exp(cos[0] / .5) < math.exp(cos[1] / .5) + math.exp(
        cos[2] / .5)
    assert knn_predict(query, memory, labels, 2, k=3, temperature=.5) == 1
    # k=4: class 0 also gets exp(cos85/T). T=0.01 lets the nearest win;
    # T=1 weighs the four almost alike and class 1's two are nearer.
    assert knn_predict(query, memory, labels, 2, k=4, temperature=.01) == 0
    w0 = math.exp(cos[0]) + math.exp(cos[3])
    w1 = math.exp(cos[1]) + math.exp(cos[2])
    assert w1 > w0
    assert knn_predict(query, memory, labels, 2, k=4, temperature=1.) == 1


def test_chunking_does_not_change_predictions():
    g = torch.Generator().manual_seed(0)
    memory, query = torch.randn(50, 8, generator=g), torch.randn(
        33, 8, generator=g)
    labels = torch.randint(0, 5, (50, ), generator=g)
    whole = knn_predict(query, memory, labels, 5, k=7)
    assert torch.equal(
        whole, knn_predict(query, memory, labels, 5, k=7, chunk_size=4))


def test_scores_match_an_independent_computation():
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    preds = torch.tensor([0, 1, 0, 1, 3, 2, 2, 0, 2])
    scores = knn_scores(preds, labels, num_classes=4)
    assert math.isclose(scores['accuracy'], 100 * 6 / 9)
    f1 = []
    for c in (0, 1, 2):  # class 3 is never true: not averaged
        tp = np.sum((preds == c).numpy() & (labels == c).numpy())
        fp = np.sum((preds == c).numpy() & (labels != c).numpy())
        fn = np.sum((preds != c).numpy() & (labels == c).numpy())
        f1.append(2 * tp / (2 * tp + fp + fn))
    assert math.isclose(scores['macro_f1'], 100 * np.mean(f1))
