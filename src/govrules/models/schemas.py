"""JSON Schemas generated from the pydantic models (for editors and calling systems)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from govrules.models.pack import Pack
from govrules.models.project import Project
from govrules.models.verdict import Verdict


@lru_cache(maxsize=3)
def schema_for(which: str) -> dict[str, Any]:
    """The JSON Schema of ``pack``, ``project`` or ``verdict``."""
    models: dict[str, type[BaseModel]] = {"pack": Pack, "project": Project, "verdict": Verdict}
    model = models[which]
    schema: dict[str, Any] = model.model_json_schema(mode="validation" if which != "verdict" else "serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://govrules.invalid/schemas/{which}.schema.json"
    return schema
