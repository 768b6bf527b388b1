"""Batches account for every record: whatever the input holds, however the run ends.

Each test reproduces a way a batch lost records, wrote something that is not JSON Lines in UTF-8,
or ended without its summary: oversize records, unreadable files and folders, undecodable bytes,
lists, line breaks and whitespace JSON Lines do not have, signals and a full disk.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govrules.cli import main
from govrules.compile.loading import load_pack
from govrules.output import batch
from govrules.output.batch import MAX_RECORD_BYTES, evaluate_records, iter_records, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
PACK = "chuxiong-2025"
AS_OF = "2025-09-01"
GOOD = b'{"id": "good", "name": "n"}'


def _lines(out: str | bytes) -> list[dict[str, Any]]:
    text = out.decode("utf-8") if isinstance(out, bytes) else out  # strict: the output is UTF-8
    assert text.endswith("\n"), "the output ends inside a line"
    return [json.loads(line) for line in text.splitlines()]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["evaluate", *args, "--pack", PACK, "--as-of", AS_OF, "--no-trace"])
    return code, _lines(capsys.readouterr().out)


def _records(path: Path, **options: Any) -> list[dict[str, Any]]:
    out = io.StringIO()
    write_jsonl(evaluate_records(iter_records(str(path), **options), load_pack(PACK), None), out)
    return _lines(out.getvalue())


def _command(*args: str, **options: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C"}
    return subprocess.Popen([sys.executable, "-m", "govrules", "evaluate", *args, "--pack", PACK, "--as-of", AS_OF,
                             "--no-trace"], env=env, stdout=options.pop("stdout", subprocess.PIPE),
                            stderr=subprocess.PIPE, bufsize=0, **options)


def _first_line(process: subprocess.Popen[bytes]) -> bytes:
    """What the process wrote up to its first newline (maybe more), read without a buffer of our own."""
    assert process.stdout is not None
    got = b""
    while b"\n" not in got:
        chunk = os.read(process.stdout.fileno(), 1 << 16)
        assert chunk, "the process ended before its first line"
        got += chunk
    return got


# ------------------------------------------------------------------------------- record size


def test_a_record_over_the_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    deep = b"[" * 5_000  # parsed, it would be "nested too deeply": refused for its size first
    path.write_bytes(GOOD + b"\n" + deep + b"\n" + GOOD + b"\n")
    lines = _records(path, max_record_bytes=1_000)
    assert [line["ok"] for line in lines[:-1]] == [True, False, True]
    assert lines[1]["error"]["code"] == "record_too_large" and "5,000 bytes" in lines[1]["error"]["message"]
    assert [line["source"] for line in lines[:-1]] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert lines[-1] == {"summary": {"records": 3, "verdicts": 2, "errors": 1}}


def test_a_record_over_the_default_limit_is_an_error_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "records.jsonl"
    huge = b'{"id": "huge", "name": "' + b"x" * MAX_RECORD_BYTES + b'"}'
    path.write_bytes(GOOD + b"\n" + huge + b"\r\n" + GOOD)
    code, lines = _run(capsys, str(path))
    assert code == 0
    assert [line.get("error", {}).get("code") for line in lines[:-1]] == [None, "record_too_large", None]
    assert lines[-1]["summary"] == {"records": 3, "verdicts": 2, "errors": 1}


def test_the_rest_of_an_oversize_line_is_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit a record is skipped in chunks: no read asks for more than the limit and a little."""
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"[" + b" " * 300_000 + b"]\n" + GOOD + b"\n")
    sizes: list[int] = []
    reader = batch._byte_lines

    def spy(handle: Any) -> Any:
        readline = reader(handle)

        def read(size: int) -> bytes:
            sizes.append(size)
            return readline(size)
        return read

    monkeypatch.setattr(batch, "_byte_lines", spy)
    lines = _records(path, max_record_bytes=1_000)
    assert [line["ok"] for line in lines[:-1]] == [False, True]
    assert max(sizes) <= 1 << 16


# ------------------------------------------------------------------------ unreadable inputs


def test_unreadable_files_and_folders_are_error_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.json").write_bytes(GOOD)
    (folder / "sub" / "hidden.json").write_bytes(GOOD)
    (folder / "z.json").write_bytes(GOOD)
    (folder / "broken.yaml").symlink_to(tmp_path / "nowhere.yaml")  # a link to nothing
    unlistable = str(folder / "sub")
    if Path("/proc/self/mem").exists():  # a file every user may open but nobody can read from the start
        (folder / "m.jsonl").symlink_to("/proc/self/mem")
    if os.geteuid() == 0:  # root lists any folder: refuse it as a folder without permission would be
        listing = os.scandir

        def scandir(path: Any = ".") -> Any:
            if os.fspath(path) == unlistable:
                raise PermissionError(13, "Permission denied", unlistable)
            return listing(path)
        monkeypatch.setattr(os, "scandir", scandir)
    else:
        (folder / "sub").chmod(0)
    try:
        code, lines = _run(capsys, str(folder))
    finally:
        (folder / "sub").chmod(0o755)
    by_source = {line["source"]: line for line in lines[:-1]}
    assert by_source[str(folder / "a.json")]["ok"] and by_source[str(folder / "z.json")]["ok"]
    assert by_source[unlistable]["error"]["code"] == "unreadable"
    assert by_source[str(folder / "broken.yaml")]["error"]["code"] == "unreadable"
    if (folder / "m.jsonl").is_symlink():
        assert by_source[f"{folder / 'm.jsonl'}:1"]["error"]["code"] == "unreadable"
    summary = lines[-1]["summary"]
    assert summary["records"] == len(lines) - 1 == summary["verdicts"] + summary["errors"]
    assert summary["errors"] == 3 if (folder / "m.jsonl").is_symlink() else 2
    assert code == 0


def test_a_missing_input_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", str(tmp_path / "missing.jsonl"), "--pack", PACK])
    assert code == 2 and "no such file or folder" in capsys.readouterr().err


# ---------------------------------------------------------------------- bytes in, UTF-8 out


def test_undecodable_stdin_loses_no_record_and_the_output_is_utf8() -> None:
    records = [
        GOOD,
        b'{"id": "bad-name", "name": "\xff\xfe"}',
        b'{"id": "bad-key", "name": "n", "facts": {"k\xff\xe4": true}}',
        b"\xc3(",
        b'{"id": "last", "name": "n"}',
    ]
    process = _command("-", stdin=subprocess.PIPE)
    out, err = process.communicate(b"\n".join(records) + b"\n", timeout=120)
    assert process.returncode == 0, err.decode(errors="replace")
    assert b"Traceback" not in err
    lines = _lines(out)
    assert [line["ok"] for line in lines[:-1]] == [True, False, False, False, True]
    assert lines[2]["error"]["errors"][0]["path"] == "facts.k\\xff\\xe4"  # the bytes, as text
    assert lines[-1]["summary"] == {"records": 5, "verdicts": 2, "errors": 3}


def test_an_undecodable_file_name_is_written_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    name = os.fsdecode(b"\xb2\xe2.json")  # not UTF-8: a lone surrogate in the path
    (folder / name).write_bytes(b'{"id": "x", "name": "n", "budget": -1}')
    code, lines = _run(capsys, str(folder))
    assert code == 0
    assert lines[0]["source"] == str(folder / "\\xb2\\xe2.json")
    assert lines[0]["error"]["source"] == lines[0]["source"]


# ------------------------------------------------------------------------------------- lists


def test_a_json_list_is_a_record_per_item_whatever_its_size(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    items = [{"id": f"p{i}", "name": "项目" * 40, "budget": 1000 * i} for i in range(400)]
    text = json.dumps(items, ensure_ascii=False, indent=1)
    text = text.replace('"budget": 5000', '"budget": 5000, "budget": 6000', 1)  # one bad item
    path = tmp_path / "many.json"
    path.write_bytes(b"\xef\xbb\xbf\n  " + text.encode())
    code, lines = _run(capsys, str(path))
    assert code == 0
    assert lines[-1]["summary"] == {"records": 400, "verdicts": 399, "errors": 1}
    assert lines[5]["source"] == f"{path}[5]" and "duplicate key `budget`" in lines[5]["error"]["message"]
    # beyond the project-file size: still item by item, each bounded as a record
    records = _records(path, max_record_bytes=200)
    assert len(records) == 401 and {r["error"]["code"] for r in records[:-1]} == {"record_too_large"}


def test_a_json_list_that_breaks_off_reports_where(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_bytes(b'[{"id": "a", "name": "n"}, {"id": "b", "name": "n"} {"id": "c"}]')
    lines = _records(path)
    assert [line["ok"] for line in lines[:-1]] == [True, True, False]
    assert "expected `,` or `]`" in lines[2]["error"]["message"]


def test_a_yaml_list_with_one_bad_item_evaluates_the_others(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("- id: a\n  name: n\n- id: b\n  name: n\n  budget: 1\n  budget: 2\n- {id: c, name: n}\n"
                    "- id: d\n  name: !!python/object:os.system x\n", encoding="utf-8")
    code, lines = _run(capsys, str(path))
    assert code == 0
    assert [line["ok"] for line in lines[:-1]] == [True, False, True, False]
    assert f"{path}:6:" in lines[1]["error"]["message"]  # the line in the file, not in the item
    assert "yaml.tag" in lines[3]["error"]["message"]
    assert lines[-1]["summary"] == {"records": 4, "verdicts": 2, "errors": 2}


# ----------------------------------------------------------------- what JSON Lines are made of


def test_lines_split_on_newlines_alone_and_odd_whitespace_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD + b"\n"        # 1: a BOM opening the file is allowed
                     + b'{"id": "cr",\r"name": "n"}\n'     # 2: a bare CR inside a record does not split it
                     + "\u3000\n".encode()                 # 3: ideographic space
                     + b"\x1c\n"                           # 4: a separator str.splitlines() splits on
                     + b"\x0c\n"                           # 5: form feed
                     + b" \t \r\n"                         # 6: blank
                     + b"\xef\xbb\xbf" + GOOD + b"\r\n"     # 7: a BOM inside the input
                     + GOOD)                               # 8: no newline at the end
    lines = _records(path)
    sources = [line["source"].rsplit(":", 1)[1] for line in lines[:-1]]
    assert sources == ["1", "2", "3", "4", "5", "7", "8"]
    assert [line["ok"] for line in lines[:-1]] == [True, True, False, False, False, False, True]
    assert "U+3000" in lines[2]["error"]["message"] and "U+001C" in lines[3]["error"]["message"]
    assert "U+000C" in lines[4]["error"]["message"]
    assert "byte order mark" in lines[5]["error"]["message"]


def test_a_bom_opening_stdin_is_allowed(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf" + GOOD + b"\n" + GOOD + b"\n")))
    code, lines = _run(capsys, "-")
    assert code == 0 and lines[-1]["summary"] == {"records": 2, "verdicts": 2, "errors": 0}


# --------------------------------------------------------------------------- how a run ends


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_the_batch_on_a_whole_line_with_a_summary(signum: int, code: int) -> None:
    process = _command("-", stdin=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    named = b'{"id": "p", "name": "' + "名称".encode() * 1_000 + b'"}\n'  # long lines of multi-byte text
    process.stdin.write(named)
    process.stdin.flush()
    first = _first_line(process)  # the batch has written its verdict; it now waits for more input
    time.sleep(0.5)
    process.send_signal(signum)
    rest, err = process.communicate(timeout=120)
    assert process.returncode == code, err.decode(errors="replace")
    assert b"Traceback" not in err
    lines = _lines(first + rest)
    summary = lines[-1]["summary"]
    assert summary["interrupted"] == signal.Signals(signum).name
    assert summary["records"] == len(lines) - 1 == 1


def test_a_signal_while_writing_waits_for_the_line(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes((b'{"id": "p", "name": "' + "名称".encode() * 3_000 + b'"}\n') * 300)
    process = _command(str(path))
    assert process.stdout is not None
    first = _first_line(process)
    process.send_signal(signal.SIGTERM)
    rest, err = process.communicate(timeout=120)
    assert process.returncode == 143, err.decode(errors="replace")
    lines = _lines(first + rest)
    assert lines[-1]["summary"]["records"] == len(lines) - 1 < 300


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_reported_with_its_exit_code() -> None:
    with open("/dev/full", "wb") as full:
        process = _command(str(ROOT / "examples" / "county"), stdout=full)
        _, err = process.communicate(timeout=120)
    assert process.returncode == 3
    assert b"Traceback" not in err and b"No space left on device" in err
    assert b'{"summary"' in err


# ------------------------------------------------------------------------------------- fuzzing

_PIECES = st.sampled_from([
    GOOD, b'{"id": "x", "name": "', b'"}', b"\xff", b"\xc3", b"\xe5\x90", b"\xef\xbb\xbf", b"\r", b"\n", b"\r\n",
    b" ", b"\t", b"\x0c", b"\x1c", "\u3000".encode(), "\u2028".encode(), b"\x85", b"[", b"{", b"}", b"\x00",
    b'"budget": 1', b",", b'"facts": {"k\xfe": 1}',
])


@settings(max_examples=int(os.environ.get("GOVRULES_FUZZ_EXAMPLES", "60")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=30))
def test_any_bytes_give_one_utf8_line_per_record(pieces: list[bytes], tmp_path: Path) -> None:
    data = b"".join(pieces)
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    out = io.BytesIO()
    counts = write_jsonl(evaluate_records(iter_records(str(path), max_record_bytes=40), load_pack(PACK), None), out)
    lines = _lines(out.getvalue())
    expected = [line.removesuffix(b"\r") for line in data.split(b"\n")]
    if expected and expected[-1] == b"":
        expected.pop()  # the newline ending the last line
    if expected:
        expected[0] = expected[0].removeprefix(b"\xef\xbb\xbf")
    numbers = [i for i, line in enumerate(expected, 1) if line.strip(b" \t\r")]
    assert [int(line["source"].rsplit(":", 1)[1]) for line in lines[:-1]] == numbers
    assert lines[-1] == {"summary": counts} and counts["records"] == counts["verdicts"] + counts["errors"]
