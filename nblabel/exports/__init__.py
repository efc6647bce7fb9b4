"""Writers of a task's current labels in the formats training code reads: the table formats of
every kind (jsonl, csv, parquet) and each kind's own (span IOB/spaCy, COCO/YOLO/VOC, DPO/reward).
A task kind (:mod:`nblabel.kinds`) names the formats it offers and calls these."""
