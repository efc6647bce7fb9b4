"""nblabel: Jupyter widgets for labeling pandas DataFrames in the notebook."""

from .classify import Classify
from .store import Store

__all__ = ["Classify", "Store", "__version__"]
__version__ = "0.1.0"
