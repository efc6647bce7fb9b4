"""nblabel: Jupyter widgets for labeling pandas DataFrames in the notebook."""

from . import agreement
from .adjudicate import Adjudicate
from .boxes import Boxes
from .classify import Classify
from .compare import Compare
from .dashboard import Dashboard
from .plots import plot_agreement, plot_annotators, plot_boxes, plot_confusion, plot_span_confusion
from .report import agreement_report
from .session import Session
from .spans import Spans
from .store import Store

__all__ = [
    "Adjudicate",
    "Boxes",
    "Classify",
    "Compare",
    "Dashboard",
    "Session",
    "Spans",
    "Store",
    "__version__",
    "agreement",
    "agreement_report",
    "plot_agreement",
    "plot_annotators",
    "plot_boxes",
    "plot_confusion",
    "plot_span_confusion",
]
__version__ = "0.1.0"
