"""nblabel: Jupyter widgets for labeling pandas DataFrames in the notebook."""

from typing import Any

from . import agreement
from .adjudicate import Adjudicate
from .boxes import Boxes
from .classify import Classify
from .compare import Compare
from .dashboard import Dashboard
from .report import agreement_report
from .session import Session
from .spans import Spans
from .store import Store, StoreError

__all__ = [
    "Adjudicate",
    "Boxes",
    "Classify",
    "Compare",
    "Dashboard",
    "Session",
    "Spans",
    "Store",
    "StoreError",
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

#: Plot functions, imported from :mod:`nblabel.plots` on first use (matplotlib takes a third of a
#: second to import, which every labeling kernel and annotator process would otherwise pay).
_PLOTS = {"plot_agreement", "plot_annotators", "plot_boxes", "plot_confusion", "plot_span_confusion"}


def __getattr__(name: str) -> Any:
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'nblabel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _PLOTS)
