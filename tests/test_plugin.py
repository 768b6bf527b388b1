"""The pytest plugin every install registers: it collects govrules case files and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from govrules.testing.plugin import is_case_file

ROOT = Path(__file__).resolve().parents[1]
CHUXIONG = ROOT / "src" / "govrules" / "policies" / "chuxiong-2025.yaml"

UNRELATED_CASES = """\
# an API test tool's own file format, nothing to do with govrules
login:
  request: {method: POST, path: /login}
  expect: {status: 200}
"""

UNRELATED_TEST = """\
def test_login_works():
    assert 1 + 1 == 2
"""


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=folder, capture_output=True, text=True, timeout=300, check=False)


def test_an_unrelated_projects_cases_file_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "login.cases.yaml").write_text(UNRELATED_CASES, encoding="utf-8")
    (tmp_path / "test_login.py").write_text(UNRELATED_TEST, encoding="utf-8")
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "login.cases.yaml" not in result.stdout + result.stderr


def test_a_file_that_declares_itself_a_case_file_is_collected(tmp_path: Path) -> None:
    (tmp_path / "mine.cases.yaml").write_text(
        f"pack: {CHUXIONG.as_posix()}\nas_of: 2025-09-01\ncases:\n"
        "  - name: 不适用的项目\n    project: {id: x, name: 某项目, level: province}\n"
        "    expect: {scope: in_scope}\n", encoding="utf-8")
    result = _pytest(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "不适用的项目" in result.stdout


def test_a_broken_govrules_case_file_is_still_reported(tmp_path: Path) -> None:
    # a govrules case file with an error must fail loudly, not be skipped as "someone else's"
    (tmp_path / "mine.cases.yaml").write_text("pack: nowhere.yaml\ncases: [\n", encoding="utf-8")
    result = _pytest(tmp_path)
    assert result.returncode != 0
    assert "mine.cases.yaml" in result.stdout


def test_is_case_file(tmp_path: Path) -> None:
    path = tmp_path / "a.cases.yaml"
    path.write_text("\ufeffpack: x.yaml\ncases: []\n", encoding="utf-8")
    assert is_case_file(path)
    path.write_text("pack: x.yaml\n", encoding="utf-8")  # no cases: key
    assert not is_case_file(path)
    path.write_text("login:\n  pack: x\n  cases: []\n", encoding="utf-8")  # not at the top level
    assert not is_case_file(path)
    other = tmp_path / "a.yaml"
    other.write_text("pack: x.yaml\ncases: []\n", encoding="utf-8")
    assert not is_case_file(other)
    assert all(is_case_file(p) for p in (ROOT / "src" / "govrules" / "policies").glob("*.cases.yaml"))
    assert is_case_file(ROOT / "examples" / "county" / "lufeng-2025-example.cases.yaml")
