from .similarity_kl import SimilarityKLLoss

__all__ = ['SimilarityKLLoss']
