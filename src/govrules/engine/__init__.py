"""Evaluating a project under a compiled pack: rule outcomes (generated per pack), how they combine,
obligations and their deadlines on the working-day calendar, citations, and the verdict."""
