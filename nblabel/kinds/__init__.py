"""Task kinds: one module per kind, each registered in :mod:`nblabel.core.registry`."""
