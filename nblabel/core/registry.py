"""The seam between task kinds and everything that works on labels.

A *task kind* (classify, spans, boxes, compare, ranking, ...) is one object implementing
:class:`TaskKind`, registered here by :mod:`nblabel.kinds` when nblabel is imported. The store
records each task's kind by name (``nbl_tasks.kind``) with its config; reports, the live
dashboard, exports, gold scoring, sessions and the CLI look the kind up here — never guess it
from the values, and never branch on its name themselves.

This module sits in the lowest layer so that every layer can look kinds up; it imports nothing
of nblabel. (The kinds themselves live above the agreement and export code they use.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AggregationScheme",
    "FileFormat",
    "ItemContext",
    "LiveView",
    "SuggestionOutcome",
    "TaskKind",
    "TaskKindError",
    "file_format",
    "for_task",
    "get",
    "known",
    "known_formats",
    "register",
    "register_format",
]


@dataclass(frozen=True)
class ItemContext:
    """What a task kind may know of one item and its task when it checks a value: plain data,
    filled in by the widget (or by hand: ``ItemContext("row 3", labels=["PER", "LOC"],
    text="Ada went to Paris")``). Treat it as read-only; widgets pass their label list as is.
    """

    #: Where the value belongs, as error messages name it: ``"row 12"``, ``"row 'a'"``.
    where: str
    #: The task's labels (``labels=``), in order.
    labels: Sequence[Any] = field(default=(), repr=False)
    #: The task's config: ``multi`` (classify), ``overlap`` (spans), ``rubric``, ``responses``
    #: and ``min_justification`` (compare), ...
    config: Mapping[str, Any] = field(default_factory=dict)
    #: The item's text (spans: offsets are code points of it).
    text: str | None = None
    #: ``(width, height)`` of the item's image in the pixels boxes are stored in (boxes).
    size: tuple[int, int] | None = None
    #: Whether the second response was shown on the left to this annotator (compare).
    swapped: bool = False
    #: ``{label: position in labels}``; built from ``labels`` when not given.
    label_index: Mapping[Any, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.labels and not self.label_index:
            object.__setattr__(self, "label_index", {label: i for i, label in enumerate(self.labels)})


@dataclass(frozen=True)
class AggregationScheme:
    """How ``nl.aggregate`` reads the values of a task kind (what :meth:`TaskKind.aggregation_scheme`
    returns): the categories a model chooses among, and the category of one value.

    A single-label scheme gives each value one category (classify: its label; compare: its
    choice). A ``multi`` scheme gives each value a set of categories (multi-label classify):
    every category is then aggregated on its own, present or absent, by every annotator who
    labeled the item.
    """

    #: The categories, in order (ties are broken towards the first); ``None``: the categories
    #: that occur, in their natural order (numbers, then text) — a frame without a label set.
    categories: Sequence[Any] | None = None
    #: Whether a value is a set of categories, aggregated category by category.
    multi: bool = False
    #: The category (``multi``: the list of categories) of one stored value or gold answer;
    #: ``None``: the value itself. Raises ``ValueError`` for a value it cannot read.
    category: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class SuggestionOutcome:
    """What an annotator did with the suggestion their label event recorded (what
    :meth:`TaskKind.suggestion_outcome` returns): the suggested value in stored form and, part by
    part (a span, a box; a value of one part for a label), how many parts of it were kept
    exactly (``accepted``), kept with other bounds or label (``changed``) or dropped
    (``removed``), and how many parts the annotator added of their own (``added``). Given a
    reference answer, ``wrong`` counts the suggested parts it does not hold and
    ``wrong_accepted`` those of them the annotator kept exactly."""

    #: The suggested value, in the kind's stored form (compared with gold answers).
    suggested: Any
    #: How many parts the suggestion had (1 for a label, a choice, a rating or a text).
    parts: int = 1
    accepted: int = 0
    changed: int = 0
    removed: int = 0
    added: int = 0
    wrong: int = 0
    wrong_accepted: int = 0

    @property
    def status(self) -> str:
        """``"accepted"``: the value is the suggestion (every part kept exactly, nothing added);
        ``"partial"``: some of it was kept (exactly or changed); ``"rejected"``: none of it."""
        if self.accepted == self.parts and not self.changed and not self.added:
            return "accepted"
        return "partial" if self.accepted or self.changed else "rejected"


@runtime_checkable
class TaskKind(Protocol):
    """What nblabel needs to know about one kind of labeling task.

    Values are in *stored form*: what ``w.annotate`` accepts after validation and what the
    store's ``value`` column holds (JSON). ``nblabel.kinds.base.KindBase`` gives the defaults.
    """

    #: The name stored with the task ("classify", "spans", ...).
    name: str
    #: One line for people: what a value of this kind is.
    description: str
    #: Export formats of the kind's own, besides the table formats every kind has.
    export_formats: tuple[str, ...]

    def for_config(self, config: Mapping[str, Any]) -> TaskKind:
        """The kind that serves a task with this config (multi-label classify, a ranking)."""
        ...

    # ---------------------------------------------------------------- values
    def check_value(self, value: Any, item: ItemContext) -> Any:
        """``value`` (as given from Python, or decoded from the browser) checked for ``item`` and
        returned in stored form; ``ValueError``/``TypeError`` naming ``item.where`` (the row)
        and what is wrong."""
        ...

    def check_gold(self, value: Any, item: ItemContext) -> Any:
        """A gold answer for ``item`` in stored form (as :meth:`check_value`, less what only an
        annotator's answer needs, such as a compare justification)."""
        ...

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        """A stored value as one line of text; ``shown`` is what the item showed (its text)."""
        ...

    def label_counts(self, value: Any) -> dict[Any, int]:
        """How many times each label occurs in one value (progress counts)."""
        ...

    def gold_score(self, value: Any, gold: Any) -> float:
        """How close ``value`` is to the gold answer, in [0, 1] (1: right)."""
        ...

    def values_agree(self, a: Any, b: Any) -> bool:
        """Whether two annotators gave the same answer (unanimity, adjudication)."""
        ...

    # ---------------------------------------------------------------- agreement
    def report(
        self,
        annotations: pd.DataFrame,
        gold: Any,
        *,
        task: str | None,
        labels: list[Any] | None,
        config: Mapping[str, Any],
        n_boot: int,
        level: float,
        seed: int | None,
        models: tuple[str, str] | None,
    ) -> Any:
        """The agreement report: coefficient rows, per label, per annotator, disagreements."""
        ...

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> LiveView:
        """The task's ratings prepared for the live dashboard."""
        ...

    # ---------------------------------------------------------------- aggregation
    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """How ``nl.aggregate`` turns this kind's values into categories (``labels``: the task's
        label set, ``None`` when unknown). A kind whose values are not categorical (spans,
        boxes, rankings) raises ``ValueError`` saying that aggregation is not supported for its
        tasks (``KindBase``'s default)."""
        ...

    def active_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """How a model in the loop (``model=``, active ordering) reads this kind's values as
        classes: the columns of its per-item probabilities (``categories``) and the class of one
        value. Single-label: a distribution over the categories per item; ``multi``: each
        category's probability of being present. ``KindBase``'s default is
        :meth:`aggregation_scheme`; spans and boxes read a value as the set of labels it marks;
        a kind with no per-item classes (texts, rankings) raises ``ValueError``."""
        ...

    # ---------------------------------------------------------------- suggestions
    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """What the stored ``value`` of a person's label event kept of the ``suggestion`` the
        event recorded (its ``suggestion`` column: the suggested value, or the kind's record of
        it such as spans' ``{spans, accepted, changed, removed}``), and with a ``reference``
        answer (``None``: none known) which suggested parts were wrong; ``None`` when the event
        recorded no suggestion. ``KindBase``'s default: a value of one part, accepted when
        :meth:`values_agree` with the suggestion, wrong when it does not agree with the
        reference."""
        ...

    def swapped_columns(self, config: Mapping[str, Any]) -> tuple[str, str] | None:
        """For a kind whose values depend on the position of two of the item's fields (a
        comparison of responses ``a`` and ``b``): the two column roles (keys of the task config's
        ``columns``) a model is also asked with exchanged, to measure its position bias; ``None``
        (``KindBase``'s default) for every other kind."""
        ...

    def from_swapped(self, value: Any) -> Any:
        """A value given on an item whose :meth:`swapped_columns` were exchanged, mapped back to
        the item as stored (a comparison's ``A`` and ``B`` exchanged); ``KindBase``: unchanged."""
        ...

    # ---------------------------------------------------------------- exports
    def export(
        self,
        store: Any,
        task: str,
        path: Path,
        format: str,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        """Write the task's current labels as ``format`` (its own formats, or a table); with
        ``values`` (item ids and a ``value`` column, such as ``session.final_labels()``), those
        values instead, one per item."""
        ...

    # ---------------------------------------------------------------- preferences
    def pairwise_outcomes(
        self, values: Sequence[Any], config: Mapping[str, Any], items: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """The outcomes between pairs of responses that each value states (model rankings): one
        row per pair with ``judgement`` (the value's position in ``values``), ``first`` and
        ``second`` (Categoricals whose categories are the task's response columns, in the task's
        order) and ``outcome``: ``"win"`` (``first`` beat ``second``), ``"tie"`` or
        ``"both_bad"``. ``items`` names each value's item in errors. A kind that holds no
        preferences raises ``ValueError`` ("rank_models needs a compare task")."""
        ...

    # ---------------------------------------------------------------- other tools' files
    def exchange_codec(self, format: str) -> Any:
        """This kind's codec for the file format ``format`` of another tool (``"label-studio"``,
        ``"prodigy"``, ``"doccano"``), or ``None`` when the format cannot carry the kind's
        values (``KindBase``'s default). The codec is the format's own object (defined in its
        module of :mod:`nblabel.exchange`): it converts the format's records to values in
        stored form and back, and says which records it reads — a reader finds a file's kind by
        asking each registered kind's codec, never by the kind's name."""
        ...


class LiveView(Protocol):
    """A task's ratings prepared once per dashboard refresh: what the dashboard shows of them.
    ``nblabel.agreement.views`` has the two families (categories; spans and boxes)."""

    annotators: list[Any]
    has_gold: bool
    #: Whether "the majority of the others" is a meaningful confusion axis.
    can_majority: bool

    def column(self, annotator: Any) -> pd.Series:
        """One annotator's ratings by item."""
        ...

    def gold_column(self) -> pd.Series:
        """The gold answers by item."""
        ...

    def majority(self, exclude: Any | None) -> pd.Series:
        """The majority of the annotators other than ``exclude``, by item."""
        ...

    def summary(self) -> dict[str, Any]:
        """Coefficients, per-annotator and per-label rows, counts: JSON-ready."""
        ...

    def intervals(self, n_boot: int, level: float, seed: int | None) -> dict[str, list[Any]]:
        """Bootstrap confidence intervals by coefficient key."""
        ...

    def confusion(self, a: pd.Series, b: pd.Series) -> dict[str, Any]:
        """The confusion counts of two sides: categories, codes, counts, total, agree; a view
        whose rows are not its columns' categories gives them as ``row_categories`` and
        ``row_codes`` (texts: one row against similarity bands)."""
        ...

    def cell_items(
        self,
        a: pd.Series,
        b: pd.Series,
        row_code: int,
        col_code: int,
        texts: pd.Series | None,
        *,
        majority: bool,
    ) -> pd.DataFrame:
        """The items behind one confusion cell, with every annotator's value."""
        ...


@runtime_checkable
class FileFormat(Protocol):
    """A file format of another tool (Label Studio, Prodigy, doccano, Hugging Face datasets):
    read into an :class:`~nblabel.core.imported.ImportedTask` that ``Store.import_file``
    checks and writes, and written from a task by ``Store.export(task, path, format=name)``.
    Registered with :func:`register_format` by :mod:`nblabel.exchange`."""

    #: The name ``format=`` takes ("label-studio").
    name: str
    #: One line for people: what the format is.
    description: str

    def read(self, path: Path, **options: Any) -> Any:
        """The file at ``path`` as an ``ImportedTask`` (``ValueError`` naming the file, the
        line or record and the field at fault); reading writes nothing."""
        ...

    def write(self, store: Any, task: str, path: Path, *, values: pd.DataFrame | None = None,
              **options: Any) -> Path:  # fmt: skip
        """Write ``task`` of ``store`` to ``path`` in this format (``values``: one value per item,
        such as ``session.final_labels()``, instead of each annotator's current labels); returns
        the path written. A format that cannot write (read only) raises ``ValueError``."""
        ...


class TaskKindError(ValueError):
    """No task kind of that name is registered."""


_KINDS: dict[str, TaskKind] = {}


def register(kind: TaskKind) -> TaskKind:
    """Make ``kind`` known by its name (once; a second kind of the same name is an error)."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"a task kind named {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> TaskKind:
    """The task kind registered as ``name`` (``TaskKindError`` naming the known kinds)."""
    try:
        return _KINDS[name]
    except KeyError:
        raise TaskKindError(f"unknown task kind {name!r}; known kinds: {', '.join(known())}") from None


def for_task(name: str, config: Mapping[str, Any] | None = None) -> TaskKind:
    """The kind serving a task recorded as ``name`` with ``config``."""
    return get(name).for_config(config or {})


def known() -> list[str]:
    """Names of the registered task kinds."""
    return sorted(_KINDS)


_FORMATS: dict[str, FileFormat] = {}


def register_format(fmt: FileFormat) -> FileFormat:
    """Make the file format ``fmt`` known by its name (once; another format of the same name is
    an error)."""
    if fmt.name in _FORMATS and _FORMATS[fmt.name] is not fmt:
        raise ValueError(f"a file format named {fmt.name!r} is already registered")
    _FORMATS[fmt.name] = fmt
    return fmt


def file_format(name: str) -> FileFormat:
    """The file format registered as ``name`` (``KeyError`` naming the known formats)."""
    try:
        return _FORMATS[name]
    except (KeyError, TypeError):
        raise KeyError(
            f"unknown file format {name!r}; known formats: {', '.join(known_formats()) or '(none)'}"
        ) from None


def known_formats() -> list[str]:
    """Names of the registered file formats."""
    return sorted(_FORMATS)
