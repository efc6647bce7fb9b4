"""nblabel: Jupyter widgets for labeling pandas DataFrames in the notebook.

The package is layered; each layer imports only the ones below it (checked by import-linter in
CI, see ``pyproject.toml``)::

    cli                      the nblabel command
    adjudication             nl.Adjudicate: a widget on top of a session
    widgets | sessions       labeling widgets and the dashboard | calibration sessions
    kinds                    one module per task kind, registered in core.registry
    exchange                 other tools' files (Label Studio, Prodigy, doccano)
    exports                  writers of current labels
    agreement                coefficients, reports, plots
    store                    the event log (SQLite, PostgreSQL)
    core                     pure helpers and the task-kind registry
"""

from typing import Any

from . import agreement, exchange, kinds  # noqa: F401  (registers every task kind and file format)
from .adjudication import Adjudicate
from .agreement.adapters import to_cleanlab, to_crowdkit
from .agreement.aggregate import SmallPilotWarning, aggregate
from .agreement.judge import judge_report
from .agreement.models import rank_models
from .agreement.report import agreement_report
from .agreement.suggestions import suggestion_report
from .core import __version__
from .core import widget_classes as _widget_classes
from .sessions.session import Session
from .store import Store, StoreError
from .store.model_runs import record_model
from .widgets.boxes import Boxes
from .widgets.classify import Classify
from .widgets.compare import Compare
from .widgets.dashboard import Dashboard
from .widgets.rate import Rate
from .widgets.spans import Spans
from .widgets.text import Text

# a session stores its widget class by name; nl.Session.open finds it here
_widget_classes.register(Boxes, Classify, Compare, Rate, Spans, Text)

__all__ = [
    "Adjudicate",
    "Boxes",
    "Classify",
    "Compare",
    "Dashboard",
    "Rate",
    "Session",
    "SmallPilotWarning",
    "Spans",
    "Store",
    "StoreError",
    "Text",
    "__version__",
    "aggregate",
    "agreement",
    "agreement_report",
    "judge_report",
    "plot_agreement",
    "plot_annotators",
    "plot_boxes",
    "plot_confusion",
    "plot_span_confusion",
    "plot_suggestions",
    "rank_models",
    "record_model",
    "suggestion_report",
    "to_cleanlab",
    "to_crowdkit",
]

#: Plot functions, imported from :mod:`nblabel.agreement.plots` on first use (matplotlib takes a
#: third of a second to import, which every labeling kernel and annotator process would otherwise
#: pay).
_PLOTS = {"plot_agreement", "plot_annotators", "plot_boxes", "plot_confusion", "plot_span_confusion"}
#: Plot functions of their own modules, imported on first use as well.
_OTHER_PLOTS = {"plot_suggestions": "suggestion_plots"}


def __getattr__(name: str) -> Any:
    if name in _PLOTS:
        from .agreement import plots

        return getattr(plots, name)
    if name in _OTHER_PLOTS:
        import importlib

        return getattr(importlib.import_module(f".agreement.{_OTHER_PLOTS[name]}", __name__), name)
    raise AttributeError(f"module 'nblabel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _PLOTS | set(_OTHER_PLOTS))
