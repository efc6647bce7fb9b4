"""Other tools' files: labels brought in (``Store.import_file``) and taken out
(``Store.export(task, path, format=...)``) in the formats of Label Studio, Prodigy, doccano and
Hugging Face ``datasets``.

Each format is one module and one object implementing
:class:`~nblabel.core.registry.FileFormat`, registered here by name (importing nblabel imports
this package). Values are converted per task kind through the seam: a kind offers a codec for a
format (``TaskKind.exchange_codec(format)``), and a reader finds a file's kind by asking each
registered kind's codec whether it reads what the file recorded.
"""

from ..core.registry import register_format
from .base import ImportedTask, ImportSummary
from .doccano import DOCCANO
from .hf import HF
from .label_studio import LABEL_STUDIO
from .prodigy import PRODIGY

__all__ = ["ImportSummary", "ImportedTask"]

for _format in (PRODIGY, DOCCANO):
    register_format(_format)
register_format(HF)
register_format(LABEL_STUDIO)
