"""Verdicts written out: the text report and JSON Lines batches."""
