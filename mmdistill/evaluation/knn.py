"""Weighted k-nearest-neighbour phase classification of embeddings.

The monitor of :class:`mmdistill.engine.hooks.PhaseKNNMonitorHook` scores a
representation the way Wu et al. (CVPR 2018, "Unsupervised Feature Learning
via Non-Parametric Instance Discrimination") do: cosine similarity to a
labelled memory set, the ``k`` most similar memory items vote for their
class with weight ``exp(s / T)``, and the class with the largest summed
weight wins.
"""
from typing import Dict

import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_predict(query: torch.Tensor,
                memory: torch.Tensor,
                memory_labels: torch.Tensor,
                num_classes: int,
                k: int = 20,
                temperature: float = 0.07,
                chunk_size: int = 1024) -> torch.Tensor:
    """Temperature-weighted k-NN class of every query embedding.

    Args:
        query: ``(Q, D)`` embeddings to classify (normalised here).
        memory: ``(M, D)`` labelled embeddings (normalised here).
        memory_labels: ``(M,)`` class ids of ``memory``.
        num_classes: Number of classes.
        k: Neighbours that vote; ``min(k, M)`` are used.
        temperature: ``T`` of the vote weights ``exp(s / T)``.
        chunk_size: Queries scored at once (bounds the ``Q x M`` memory).

    Returns:
        torch.Tensor: ``(Q,)`` predicted class ids. Ties go to the lower id.
    """
    query = F.normalize(query.float(), dim=1)
    memory = F.normalize(memory.float(), dim=1)
    memory_labels = memory_labels.long()
    k = min(k, memory.shape[0])
    preds = []
    for chunk in query.split(chunk_size):
        sims, idx = (chunk @ memory.t()).topk(k, dim=1)
        votes = torch.zeros(chunk.shape[0], num_classes, device=chunk.device)
        votes.scatter_add_(1, memory_labels[idx], (sims / temperature).exp())
        preds.append(votes.argmax(dim=1))
    return torch.cat(preds)


def knn_scores(preds: torch.Tensor, labels: torch.Tensor,
               num_classes: int) -> Dict[str, float]:
    """Frame accuracy and macro F1 (in %) of k-NN predictions.

    Macro F1 averages ``2TP / (2TP + FP + FN)`` over the classes present in
    ``labels``; a class only predicted, never true, counts through the
    false positives of the true classes it took frames from.
    """
    preds, labels = preds.long().cpu(), labels.long().cpu()
    confusion = torch.bincount(
        labels * num_classes + preds,
        minlength=num_classes**2).reshape(num_classes, num_classes).double()
    tp = confusion.diagonal()
    fp = confusion.sum(0) - tp
    fn = confusion.sum(1) - tp
    present = confusion.sum(1) > 0
    f1 = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
    return dict(
        accuracy=100. * float((preds == labels).double().mean()),
        macro_f1=100. * float(f1.mean()))
