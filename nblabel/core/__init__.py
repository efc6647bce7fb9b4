"""The lowest layer: pure helpers every other layer may use, and the task-kind registry (the seam
between the kinds and everything that works on labels). Nothing here imports the rest of
nblabel."""

__version__ = "0.1.0"
