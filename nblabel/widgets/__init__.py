"""The labeling widgets (anywidget) and the live dashboard: one shared base with the save
pipeline, and a thin widget per task kind."""
