"""The shape of the package: stages import one way (import-linter checks the layers in CI) and no
module imports another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import govrules

PACKAGE = Path(govrules.__file__).parent


def test_no_module_imports_a_private_name_of_another() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("govrules"):
                offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.module}.{alias.name}"
                              for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("govrules") and any(
                    part.startswith("_") for part in (node.module or "").split(".")):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.module}")
    assert offenders == []


def test_every_stage_is_a_folder_with_a_docstring() -> None:
    for stage in ("models", "packs", "compile", "engine", "analysis", "output", "testing"):
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file(), stage
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{stage}/__init__.py has no docstring"
