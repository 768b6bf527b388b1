"""Testing support: pack test cases (``*.cases.yaml``), their pytest plugin, and hypothesis strategies.

The strategies (:mod:`govrules.testing.strategies`: ``projects``, ``parameter_values``,
``evaluations``, ``amounts``, ``ratios``) need ``hypothesis``, which the ``testing`` extra installs
(``pip install 'govrules[testing]'``); they are imported on first use, so the pytest plugin and the
case files work without it.
"""

from typing import Any

from govrules.testing.cases import CaseFile, CaseResult, load_case_file, run_case_file

__all__ = [
    "CaseFile",
    "CaseResult",
    "amounts",
    "evaluations",
    "load_case_file",
    "parameter_values",
    "projects",
    "ratios",
    "run_case_file",
]

_STRATEGIES = frozenset({"amounts", "evaluations", "parameter_values", "projects", "ratios"})


def __getattr__(name: str) -> Any:
    """Import the hypothesis strategies lazily (``hypothesis`` is a test extra)."""
    if name in _STRATEGIES:
        from govrules.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
