"""Project input: exact money, unknown stays unknown, clear errors with field paths."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from govrules import Project, ProjectError, load_project, validate_project
from govrules.models.money import MoneyFormatError, parse_money, parse_ratio
from govrules.models.project import DATE_ORDER


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (480000, Decimal("480000")),
        ("480000", Decimal("480000")),
        ("48万元", Decimal("480000")),
        ("48.5万", Decimal("485000")),
        ("480,000元", Decimal("480000")),
        ("499999.99", Decimal("499999.99")),
        (0.1, Decimal("0.1")),
        ("0.5亿元", Decimal("50000000")),
        (Decimal("500000.00"), Decimal("500000")),
    ],
)
def test_money_spellings(raw: object, expected: Decimal) -> None:
    assert parse_money(raw) == expected


@pytest.mark.parametrize("raw", [-1, "-5万", "abc", "1,2345", True, "1.005", "5万美元", float("nan"), [1]])
def test_bad_money(raw: object) -> None:
    with pytest.raises(MoneyFormatError):
        parse_money(raw)


def test_ratio_spellings() -> None:
    assert parse_ratio("10%") == Decimal("0.1")
    assert parse_ratio(0.1) == Decimal("0.1")
    assert parse_ratio("0.10") == Decimal("0.10")


def test_absent_means_unknown() -> None:
    project = Project.model_validate({"id": "p", "name": "n"})
    assert project.budget is None and project.funding is None and project.dates.acceptance is None


def test_event_not_yet_is_false() -> None:
    project = Project.model_validate({"id": "p", "name": "n", "dates": {"approval": False}})
    assert project.dates.approval is False


def _errors(data: object) -> list[dict[str, str]]:
    with pytest.raises(ProjectError) as info:
        validate_project(data)
    return info.value.errors


def test_unknown_key_lists_valid_keys_and_path() -> None:
    [error] = _errors({"id": "p", "name": "n", "changes": [{"scael": 0.1}]})
    assert error["path"] == "changes.0.scael"
    assert "did you mean `scale`" in error["message"] and "increases_investment" in error["message"]


def test_bad_amount_has_field_path() -> None:
    [error] = _errors({"id": "p", "name": "n", "funding": [{"source": "central", "amount": "-3万"}]})
    assert error["path"] == "funding.0.amount"
    assert "negative" in error["message"]


def test_inconsistent_category_and_dates() -> None:
    errors = _errors({"id": "p", "name": "n", "execution": "service", "category": "software_development"})
    assert "software_development" in errors[0]["message"]
    errors = _errors({"id": "p", "name": "n", "dates": {"contract_signed": "2025-05-01", "acceptance": "2025-04-01"}})
    assert "before" in errors[0]["message"]


def test_missing_required_field() -> None:
    errors = _errors({"name": "n"})
    assert errors[0]["path"] == "id" and errors[0]["message"] == "required"


def test_load_project_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"id": "p", "name": "n", "budget": 0.1}', encoding="utf-8")
    assert load_project(tmp_path / "p.json").budget == Decimal("0.1")
    (tmp_path / "p.yaml").write_text("id: p\nname: n\nbudget: 50万元\n", encoding="utf-8")
    assert load_project(tmp_path / "p.yaml").budget == Decimal("500000")
    (tmp_path / "bad.yaml").write_text("id: p\nname: n\nbudget: [\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"bad\.yaml:"):
        load_project(tmp_path / "bad.yaml")



@pytest.mark.parametrize(("earlier", "later"), DATE_ORDER)
def test_every_event_order_is_refused_with_the_later_field(earlier: str, later: str) -> None:
    """Each pair of ``DATE_ORDER`` (including those through an unstated event, e.g. a start after the
    acceptance): the later event before the earlier, or dated while the earlier is `false`, is refused
    naming the later field; on the same day it is accepted."""
    base = {"id": "o", "name": "次序", "budget": "100万元"}
    for dates in ({earlier: "2025-06-02", later: "2025-06-01"}, {earlier: False, later: "2025-06-01"}):
        with pytest.raises(ProjectError) as caught:
            validate_project({**base, "dates": dates})
        assert f"dates.{later}" in str(caught.value), dates
    validate_project({**base, "dates": {earlier: "2025-06-01", later: "2025-06-01"}})
