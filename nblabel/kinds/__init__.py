"""Task kinds: one module per kind, each an object implementing
:class:`~nblabel.core.registry.TaskKind`, registered here by name (the name the store records
with each task). Importing nblabel imports this package, so every kind is known before any
report, export, session or dashboard looks one up.

========== =========================== ================================================
kind       module                      a value
========== =========================== ================================================
classify   :mod:`.classify`            a label (multi-label: a list of labels)
spans      :mod:`.spans`               ``[{start, end, label}]`` on the item's text
boxes      :mod:`.boxes`               ``[{x, y, w, h, label}]`` on the item's image
compare    :mod:`.compare`             ``{choice, strength, rubric, ...}`` of two responses
(ranking)  :mod:`.ranking`             ``[[best], [next, tied], ...]`` of 3+ responses
rating     :mod:`.rating`              a point ``1..n`` of a scale (criteria: ``{criterion: point}``)
text       :mod:`.text`                the text written (``str``), maybe from a draft
========== =========================== ================================================
"""

from ..core import registry
from .boxes import BOXES
from .classify import CLASSIFY, MULTI_LABEL
from .compare import COMPARE
from .ranking import RANKING
from .rating import RATING
from .spans import SPANS
from .text import TEXT

for _kind in (CLASSIFY, SPANS, BOXES, COMPARE, RATING):
    registry.register(_kind)
registry.register(TEXT)

__all__ = ["BOXES", "CLASSIFY", "COMPARE", "MULTI_LABEL", "RANKING", "RATING", "SPANS", "TEXT"]
