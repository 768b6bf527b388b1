"""Shared fixtures: a minimal valid pack text that tests mutate, every case of every bundled pack, and a
compiled-pack cache of the suite's own."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import govrules
from govrules.testing.cases import load_case_file

ROOT = Path(__file__).resolve().parents[1]
#: the evaluation date of a case that sets none
DEFAULT_AS_OF = dt.date(2025, 9, 1)


@dataclass(frozen=True)
class BundledCase:
    """One case of a bundled pack's ``*.cases.yaml``, its project validated (None if it is invalid)."""

    pack_id: str
    name: str
    project: govrules.Project | None
    as_of: dt.date
    parameters: dict[str, Any]
    expects_error: bool
    historical: bool = False


@cache
def _bundled_cases(pack_id: str) -> tuple[BundledCase, ...]:
    case_file = load_case_file(ROOT / "src" / "govrules" / "policies" / f"{pack_id}.cases.yaml")
    cases = []
    for index, case in enumerate(case_file.model.cases):
        inputs = case_file.inputs(index)
        try:
            project: govrules.Project | None = govrules.validate_project(inputs.project)
        except govrules.GovrulesError:
            project = None
        cases.append(BundledCase(pack_id, inputs.name, project, inputs.as_of or DEFAULT_AS_OF, inputs.parameters,
                                 case.expect.error is not None, case.historical))
    return tuple(cases)


@pytest.fixture
def bundled_cases() -> Callable[[str], tuple[BundledCase, ...]]:
    """``bundled_cases(pack_id)``: every case of that bundled pack (read once for the whole run)."""
    return _bundled_cases


@cache
def _command_output(*argv: str) -> tuple[int, str, str]:
    from govrules.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def command_output() -> Callable[..., tuple[int, str, str]]:
    """``command_output(*argv)``: the exit code, output and error output of ``govrules *argv``, run once per
    test process (per worker under xdist) — for a costly command (``check`` of a bundled pack: every reading
    choice) that several tests read. A test that needs a run of its own calls ``govrules.cli.main`` itself."""
    return _command_output


_CACHE_DIR: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Point the compiled-pack cache at a private temporary folder for the whole run (subprocesses
    inherit it): the suite writes nothing under the user's home."""
    global _CACHE_DIR
    _CACHE_DIR = tempfile.mkdtemp(prefix="govrules-test-cache-")
    os.environ["GOVRULES_CACHE_DIR"] = _CACHE_DIR
    # every memoised part of every verdict the suite evaluates reads only what it declares
    from govrules.engine import memo

    memo.CHECK_READS = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CACHE_DIR is not None:
        shutil.rmtree(_CACHE_DIR, ignore_errors=True)

MINIMAL_PACK = """\
format: govrules/pack@1
id: mini-2025
title: 示例办法
document: 示政办〔2025〕1号
issuer: 示例市人民政府办公室
jurisdiction: {name: 示例市, level: city}
dates: {issued: 2025-01-01, effective: 2025-01-01, effective_basis: issuance}
articles:
  - number: 1
    text: 预算金额50万元(含)以上的建设类项目须审批。
  - number: 2
    text: 有下列情形的不予审批。\\n(一)未共享数据的。
    items: [{number: 1, text: 未共享数据的。}]
  - number: 3
    text: 本办法自印发之日起施行。
    informational: 施行日期
facts:
  - {name: shares_data, type: bool, zh: 共享数据, en: shares data}
  - {name: required_by_law, type: bool, zh: 法律要求, en: required by law}
parameters:
  - {name: threshold, value: 500000, unit: CNY, zh: 审批标准, en: threshold, cite: {article: 1}}
rules:
  - id: route.approval
    kind: route
    title: 预算金额50万元(含)以上的建设类项目须审批
    decision: approval
    when: execution == 'construction' and budget >= threshold
    cite: {article: 1}
  - id: exc.law
    kind: exception
    title: 法律要求的除外
    when: required_by_law
    cite: {article: 2}
  - id: ground.no_sharing
    kind: ground
    ground: rejection
    title: 未共享数据的
    when: not shares_data
    unless: [exc.law]
    cite: {article: 2, item: 1}
"""


@pytest.fixture
def minimal_pack_text() -> str:
    """The text of a small valid pack."""
    return MINIMAL_PACK
