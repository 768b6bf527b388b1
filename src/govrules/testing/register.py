"""Ordinary project-register records: what a register actually holds, and nothing more.

A register of government IT projects holds a project's level, execution, category, budget and
funding — not the answers to a measure's questions. :func:`register_records` draws such records for a
bundled pack, with a fixed seed, so that how decisive verdicts are on ordinary input can be measured
(tests/test_presumptions.py, benchmarks/run.py).

Each pack's records are those of its own register: the levels the measure governs (州 and 县(市) for
Chuxiong; the city's own level for the city measures), funded mostly from the treasury of that level,
sometimes with central or provincial money, sometimes from the unit's own funds.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

#: pack id → (levels, the treasury of each level, settable parameters and the values drawn for them)
_REGISTERS: dict[str, tuple[tuple[str, ...], dict[str, str], dict[str, tuple[str, ...]]]] = {
    "chuxiong-2025": (("prefecture", "county"), {"prefecture": "prefecture", "county": "county"},
                      {"procurement_limit": ("500000", "1000000", "2000000")}),
    "qujing-2020": (("city",), {"city": "municipal"}, {}),
    "jingzhou-2017": (("city",), {"city": "municipal"}, {}),
    "linfen-2021": (("city",), {"city": "municipal"}, {}),
}

_CATEGORIES = {
    "infrastructure_construction": "construction", "software_development": "construction",
    "infrastructure_service": "service", "software_service": "service",
    "operation_maintenance": "service", "other_service": "service",
}


def register_packs() -> list[str]:
    """The bundled packs a register corpus can be drawn for."""
    return list(_REGISTERS)


def register_records(pack_id: str, count: int = 200, seed: int = 20251206) -> list[tuple[dict[str, Any],
                                                                                         dict[str, str]]]:
    """``count`` register records for ``pack_id``: (project data, parameters to evaluate it with).

    Budgets are log-uniform between 5万元 and 3000万元 (to the 千元); categories uniform, the execution
    following from the category. The same seed gives the same records.
    """
    levels, treasury, settable = _REGISTERS[pack_id]
    rng = random.Random(f"{pack_id}:{seed}")
    records = []
    for i in range(count):
        level = rng.choice(levels)
        category = rng.choice(sorted(_CATEGORIES))
        yuan = math.exp(rng.uniform(math.log(50_000), math.log(30_000_000)))
        budget = Decimal(round(yuan / 1000) * 1000)
        draw = rng.random()
        if draw < 0.10:
            funding = [{"source": "own_funds", "amount": str(budget)}]
        elif draw < 0.30:
            upper = rng.choice(["central", "provincial"])
            share = (budget * Decimal(rng.choice([3, 5, 7])) / 10).quantize(Decimal(1))
            funding = [{"source": upper, "amount": str(share)},
                       {"source": treasury[level], "amount": str(budget - share)}]
        else:
            funding = [{"source": treasury[level], "amount": str(budget)}]
        project = {"id": f"{pack_id}-register-{i:03d}", "name": f"登记项目{i:03d}", "level": level,
                   "execution": _CATEGORIES[category], "category": category, "budget": str(budget),
                   "funding": funding}
        parameters = {name: rng.choice(values) for name, values in settable.items()}
        records.append((project, parameters))
    return records
