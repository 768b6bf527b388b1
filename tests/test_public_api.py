"""The public facade: complete, sorted, and documented."""

from __future__ import annotations

import doctest

import govrules
import govrules.models.money


def test_all_is_sorted_and_importable() -> None:
    assert list(govrules.__all__) == sorted(govrules.__all__)
    for name in govrules.__all__:
        assert hasattr(govrules, name), name


def test_public_callables_have_docstrings() -> None:
    for name in govrules.__all__:
        obj = getattr(govrules, name)
        if callable(obj):
            assert obj.__doc__, name


def test_doctests() -> None:
    for module in (govrules, govrules.models.money):
        result = doctest.testmod(module)
        assert result.failed == 0
