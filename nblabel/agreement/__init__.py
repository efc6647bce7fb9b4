"""Agreement between annotators: the coefficients (``nl.agreement.krippendorff_alpha`` and the
others, importable from here as before), and the machinery of agreement reports for every task
kind (prepared ratings, coefficient rows, per-label and per-annotator tables, plots).

This package knows nothing of widgets, sessions or how a task kind is chosen: a task kind
(:mod:`nblabel.kinds`) picks the functions that suit it.
"""

from .coefficients import (
    LEVELS,
    WEIGHTS,
    bootstrap_ci,
    box_agreement,
    box_iou,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    landis_koch,
    percent_agreement,
    scott_pi,
    span_agreement,
)
from .icc import ICCResult, icc
from .relations import relation_agreement
from .text import edit_distance, text_similarity

__all__ = [
    "ICCResult",
    "LEVELS",
    "WEIGHTS",
    "bootstrap_ci",
    "box_agreement",
    "box_iou",
    "cohen_kappa",
    "edit_distance",
    "fleiss_kappa",
    "gwet_ac1",
    "icc",
    "krippendorff_alpha",
    "landis_koch",
    "percent_agreement",
    "relation_agreement",
    "scott_pi",
    "span_agreement",
    "text_similarity",
]
