"""Witness search of a region analysis: for a combination of cells, values of the scope-only facts that bring
it into scope, and an example project."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from govrules.analysis.region_classification import Classification
from govrules.compile.compiler import NOT_YET
from govrules.models.project import FISCAL_SOURCES


def json_number(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else value


class WitnessSearch(Classification):
    """Completions that bring a combination into scope, and example projects."""

    def completion(self, tup: tuple[int, ...]) -> dict[str, int] | None:
        """Values of the scope-only variables that put ``tup`` in scope ({} if none are needed).

        ``None`` when no values do (the combination is never in scope); a bounded search that runs
        out keeps the variables unknown (scope undetermined: the route is still evaluated).
        """
        env = self.env(self.dims, tup)
        side = {d.var for d in self.side_dims}
        key = tuple(env.get(v) for v in sorted(self.vars) if v not in side)
        if key in self._completions:
            return self._completions[key]
        if self.scope(env) == "in_scope" or not self.side_dims:
            result: dict[str, int] | None = {}
        else:
            result = self._search(env)
        self._completions[key] = result
        return result

    def _search(self, env: dict[str, Any]) -> dict[str, int] | None:
        dims = self.side_dims
        budget = [20000]
        exhausted = True

        def visit(depth: int, chosen: list[int]) -> list[int] | None:
            nonlocal exhausted
            budget[0] -= 1
            if budget[0] < 0:
                exhausted = False
                return None
            partial = self.env(dims[:depth], chosen, base=env)
            status = self.scope(partial)
            if status in ("out_of_scope", "exempt"):
                return None
            if status == "in_scope":
                return chosen
            if depth == len(dims):
                return None
            size = len(dims[depth].values)
            # events: "not yet" first (the natural default); other values in order
            indices = [size - 1, *range(size - 1)] if dims[depth].kind == "date" else range(size)
            for index in indices:
                found = visit(depth + 1, [*chosen, index])
                if found is not None:
                    return found
            return None

        found = visit(0, [])
        if found is None:
            return None if exhausted else {}
        return {dims[i].key: index for i, index in enumerate(found)}

    def example(self, tup: tuple[int, ...], completion: Mapping[str, int]) -> dict[str, Any]:
        """A project (as plain data) for the combination ``tup``."""
        data: dict[str, Any] = {"id": f"consistency-{self.src.pack.id}", "name": "一致性检查示例项目"}
        facts: dict[str, Any] = {}
        dates: dict[str, Any] = {}
        change: dict[str, Any] = {}
        funding: set[str] | None = None
        systems: tuple[int, bool | None] | None = None
        chosen = list(zip(self.dims, tup, strict=True))
        chosen += [(d, completion[d.key]) for d in self.side_dims if d.key in completion]
        fact_names = {f.name for f in self.src.pack.facts}
        item_map = {"change_scale": "scale", "change_increases_investment": "increases_investment",
                    "change_cause": "cause", "change_major": "major", "change_date": "date"}
        for dim, index in chosen:
            value = dim.values[index]
            if dim.kind == "member":
                if dim.var == "funding_sources":
                    funding = funding if funding is not None else set()
                    if value:
                        funding.add(cast(str, dim.member))
                else:
                    members = facts.setdefault(dim.var, [])
                    if value:
                        members.append(dim.member)
                continue
            if dim.kind == "execution":
                execution, category = value
                data["execution"] = execution
                if category is not None:
                    data["category"] = category
                continue
            name = dim.var
            if isinstance(value, Decimal):
                value = json_number(value)
            if name in item_map:
                change[item_map[name]] = value
            elif name.startswith("dates."):
                dates[name.removeprefix("dates.")] = False if value is NOT_YET else value.isoformat()
            elif name in fact_names:
                facts[name] = value.isoformat() if isinstance(value, dt.date) else value
            elif name in ("level", "nature", "owner", "budget", "procurement_budget", "procurement_category",
                          "place_kind"):
                data[name] = value
            elif name == "system_count":
                systems = (int(value), systems[1] if systems else None)
            elif name == "all_systems_in_catalogue":
                systems = (systems[0] if systems else 1, cast(bool, value))
            elif name == "fiscal_amount":
                data["_fiscal_amount"] = value
        if funding is not None:
            amount = data.pop("_fiscal_amount", None)
            fiscal = [s for s in sorted(funding) if s in {f.value for f in FISCAL_SOURCES}]
            data["funding"] = []
            for source in sorted(funding):
                entry: dict[str, Any] = {"source": source}
                if amount is not None and source in fiscal:  # the fiscal amount is the sum over fiscal sources
                    entry["amount"] = amount if source == fiscal[0] else 0
                data["funding"].append(entry)
        data.pop("_fiscal_amount", None)
        if systems is not None:
            count, in_catalogue = systems
            if in_catalogue is False:
                count = max(count, 1)  # "not all in the catalogue": the first system is not
            data["systems"] = []
            for i in range(count):
                system: dict[str, Any] = {"name": f"系统{i + 1}"}
                if in_catalogue is not None:
                    system["in_catalogue"] = in_catalogue if i == 0 else True
                data["systems"].append(system)
        timing = self.timing_dates(self.env(self.dims, tup)) if self.timing else None
        for name, value in (timing or {}).items():  # dates in the same cells that give the timing chosen
            if name == "change_date":
                if value is not None:
                    change["date"] = value.isoformat()
            elif value is not None:
                dates[name.removeprefix("dates.")] = False if value is NOT_YET else value.isoformat()
        if dates:
            data["dates"] = dates
        if self.kind == "change":
            # dated on the evaluation date (under the measure): an undated change of a project under way
            # before the measure would wait for its date
            change.setdefault("date", self.as_of.isoformat())
            data["changes"] = [change]
        if facts:
            data["facts"] = facts
        return data

