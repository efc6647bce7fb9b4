"""Calibration sessions: the seeded plan (blind overlap, gold items, the calibration gate),
annotators' progress and gold accuracy, guideline versions, final labels and the dataset card.
Session code drives any labeling widget through the :class:`~nblabel.sessions.policy.Labeler`
protocol and never imports a widget."""
