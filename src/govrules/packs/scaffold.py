"""``govrules new-pack``: the skeleton of a new pack, its cases file and a README.

The skeleton loads and passes ``govrules check`` as written (with empty lists and commented
examples) once its dates are given, so that an author can fill it in one step at a time and check
after each (docs/guide.md). It never invents a date: a date the author did not give is written as the
placeholder ``待填写``, which ``check`` (and ``test``, for the cases' ``as_of``) refuses with its
file:line:col until the author writes the date the text gives, or says it is lost
(``effective_basis: unknown``). Nothing is overwritten: when any of the files exists, nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from govrules.errors import GovrulesError

_ID = re.compile(r"^[a-z][a-z0-9\-]*$")
_LEVELS = ("province", "prefecture", "city", "county")
#: What the skeleton writes where the author gave no date: ``check`` refuses it as "not a date".
PLACEHOLDER = "待填写"


@dataclass(frozen=True)
class SkeletonDates:
    """The dates and text extent a new pack starts from: only what the author gives (no default is a
    legal fact). ``issued`` alone: the text takes effect on issue (自印发之日起施行). ``effective``: the
    date the text names (``effective_basis: date``). ``between``: the window of an effective date the
    text does not give (``effective_basis: unknown``); ``issued`` may then be left out. ``missing_from``:
    the text breaks off at that article (``text: {complete: false, from_article: N}``)."""

    issued: dt.date | None = None
    effective: dt.date | None = None
    between: tuple[dt.date, dt.date] | None = None
    missing_from: int | None = None

    def __post_init__(self) -> None:
        if self.effective is not None and self.between is not None:
            raise ScaffoldError("give --effective (the date the text names) or --effective-between (the window "
                                "of a date it does not give), not both")
        if self.between is not None and self.between[1] <= self.between[0]:
            raise ScaffoldError(f"--effective-between {self.between[0]} {self.between[1]}: LATEST must be after "
                                "EARLIEST")
        if self.issued is not None and self.effective is not None and self.effective < self.issued:
            raise ScaffoldError(f"--effective {self.effective} is before --issued {self.issued}")
        if self.missing_from is not None and self.missing_from < 1:
            raise ScaffoldError("--text-missing-from: an article number (1 or more)")

    def as_of(self) -> dt.date | None:
        """A day the measure is surely in force, for the cases file; ``None`` when no date is given."""
        if self.between is not None:
            return self.between[1]
        return self.effective or self.issued


class ScaffoldError(GovrulesError):
    """The skeleton cannot be written (a bad id, an unknown parent, a file already there)."""

    code = "scaffold_error"


@dataclass(frozen=True)
class Skeleton:
    """What :func:`new_pack` wrote."""

    pack: Path
    cases: Path
    readme: Path
    schema: str
    """The ``$schema`` reference written on the pack's first line."""


def new_pack(pack_id: str, *, title: str, document: str, directory: str | Path = ".", extends: str | None = None,
             issuer: str | None = None, jurisdiction: str | None = None, level: str = "city",
             issued: dt.date | None = None, dates: SkeletonDates | None = None) -> Skeleton:
    """Write ``<pack_id>.yaml``, ``<pack_id>.cases.yaml`` and ``README.md`` into ``directory``.

    ``dates`` (or ``issued`` alone) gives the dates the text brings; a date not given is written as the
    placeholder ``待填写`` for the author to fill (``govrules check`` points at it), never as today.

    ``extends`` (a bundled id, or a path relative to ``directory``) makes the skeleton a pack that builds
    on that one. Raises :class:`ScaffoldError` (and writes nothing) when the id is not a valid pack id,
    the parent does not exist, or any of the three files already exists.
    """
    from govrules.packs.extends import extends_path

    if not _ID.match(pack_id):
        raise ScaffoldError(f"`{pack_id}` is not a pack id: lower-case letters, digits and '-', starting with a "
                            "letter (e.g. lufeng-2025)")
    if level not in _LEVELS:
        raise ScaffoldError(f"level `{level}`: one of {', '.join(_LEVELS)}")
    folder = Path(directory)
    if extends is not None and extends_path(extends, folder) is None:
        raise ScaffoldError(f"--extends {extends}: no bundled pack of that id and no such file (relative to "
                            f"{folder})")
    paths = (folder / f"{pack_id}.yaml", folder / f"{pack_id}.cases.yaml", folder / "README.md")
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        raise ScaffoldError("refusing to overwrite " + ", ".join(existing) + ": choose another --dir or id",
                            code="scaffold_exists")
    if dates is None:
        dates = SkeletonDates(issued=issued)
    elif issued is not None:
        raise ScaffoldError("give the date of issue in `dates` or as `issued`, not both")
    folder.mkdir(parents=True, exist_ok=True)
    schema = _schema_reference(folder)
    pack_text = _pack_text(pack_id, title=title, document=document, extends=extends, schema=schema,
                           issuer=issuer or "待填写: 印发机关", jurisdiction=jurisdiction or "待填写: 地区",
                           level=level, dates=dates)
    _write_new(paths[0], pack_text)
    _write_new(paths[1], _cases_text(pack_id, title=title, document=document, level=level, as_of=dates.as_of(),
                                     extends=extends))
    _write_new(paths[2], _readme_text(pack_id, title=title, document=document, extends=extends))
    return Skeleton(*paths, schema=schema)


def _write_new(path: Path, text: str) -> None:
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write(text)


def _schema_reference(folder: Path) -> str:
    """Where the pack's JSON Schema is: a relative path to ``schemas/pack.schema.json`` of a govrules
    checkout ``folder`` is in; else a ``file://`` URI of the installed govrules' (an editable install);
    else a copy written beside the pack (``pack.schema.json``)."""
    here = folder.resolve()
    for candidate in (d / "schemas" / "pack.schema.json" for d in (here, *here.parents)):
        if candidate.is_file():
            return Path(os.path.relpath(candidate, here)).as_posix()
    installed = Path(__file__).resolve().parents[3] / "schemas" / "pack.schema.json"
    if installed.is_file():
        return installed.as_uri()
    from govrules.models.schemas import schema_for

    copy = folder / "pack.schema.json"
    if not copy.exists():
        copy.write_text(json.dumps(schema_for("pack"), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return "pack.schema.json"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _pack_text(pack_id: str, *, title: str, document: str, extends: str | None, schema: str, issuer: str,
               jurisdiction: str, level: str, dates: SkeletonDates) -> str:
    head = f"""# yaml-language-server: $schema={schema}
#
# {title}{f"({document})" if document else ""} encoded as a govrules pack (written by `govrules new-pack`).
# Fill it in step by step (docs/guide.md), running `govrules check {pack_id}.yaml` after each step:
#   1. articles: the measure's articles, word for word;   2. facts: what the rules ask about a project;
#   3. parameters: every amount, ratio and period the text names;   4. rules: one per conclusion;
#   5. cases in {pack_id}.cases.yaml, run with `govrules test {pack_id}.cases.yaml`.
format: govrules/pack@1
id: {pack_id}
"""
    if extends is not None:
        head += f"""extends: {extends}   # inherits its articles, facts, parameters and rules (they keep citing it)
# disable: [rule.id]   # inherited rules this measure does not keep
"""
    head += f"""title: {_quote(title)}
document: {_quote(document)}   # 文号 ("" when none is printed)
issuer: {_quote(issuer)}
jurisdiction: {{name: {_quote(jurisdiction)}, level: {level}}}   # level: province | prefecture | city | county
{_dates_text(dates)}source: "待填写: where the text comes from"
{_text_extent(dates.missing_from)}
# Every article, with its exact text; `paragraphs:` (款) when there are two or more, `items:` (项) to cite
# them one by one. An article that decides nothing about a project gets `informational:` with the reason.
articles: []
#  - number: 1
#    text: 预算金额50万元(含)以上的建设类项目须报市发展改革委审批。
#  - number: 2
#    text: "有下列情形的不予审批。\\n(一)未按要求共享数据资源的项目。"
#    items: [{{number: 1, text: 未按要求共享数据资源的项目。}}]

# The questions a reviewer answers about a project. Reuse the names in use where the meaning is the same
# (`govrules vocabulary` lists every fact of the bundled packs; `govrules facts --pack ID` one pack's).
facts: []
#  - {{name: shares_data_as_required, type: bool, zh: 按照要求共享数据资源, en: shares data as required}}

# Terms the text defines (本办法所称…是指…), read by rules by id (docs/pack-format.md "Defined terms").
# terms:
#  - {{id: city_department, zh: 市直部门, en: a municipal department, cite: {{article: 3}},
#     quote: 本办法所称市直部门是指…, when: "level == 'city' and municipal_department"}}

# Every amount, ratio and period of the text, with its unit and the article it comes from.
parameters: []
"""
    if extends is not None:
        head += """#  - name: construction_approval_threshold
#    replaces: true   # replaces the inherited parameter of this name
#    value: 300000
#    unit: CNY
#    zh: 建设类项目须审批的预算金额(含)
#    en: budget from which a construction project needs approval (inclusive)
#    cite: {article: 1}

# One rule per conclusion. A rule with the id of an inherited one replaces it (say `replaces: true`);
# an inherited article is cited with `cite: {measure: <its pack id>, article: N}`.
rules: []
#  - id: route.art16_construction
#    replaces: true
#    kind: route
#    title: 预算金额30万元(含)以上的建设类项目须报市发展改革局审批
#    decision: approval
#    authority: 市发展改革局
#    when: execution == 'construction' and budget >= construction_approval_threshold
#    cite: {article: 1}
"""
    else:
        head += """#  - name: construction_approval_threshold
#    value: 500000
#    unit: CNY   # CNY | ratio | days | working_days | months | years | count
#    zh: 建设类项目须审批的预算金额(含)
#    en: budget from which a construction project needs approval (inclusive)
#    cite: {article: 1}

# One rule per conclusion: kind scope | exemption | exception | route | ground | change | obligation |
# consequence (docs/pack-format.md), with the article it comes from.
rules: []
#  - id: route.art1_construction
#    kind: route
#    title: 预算金额50万元(含)以上的建设类项目须报市发展改革委审批
#    decision: approval
#    authority: 市发展改革委
#    when: execution == 'construction' and budget >= construction_approval_threshold
#    cite: {article: 1}
"""
    return head


def _dates_text(dates: SkeletonDates) -> str:
    """The ``dates:`` block: what the author gave, and ``待填写`` (which ``check`` refuses) for the rest."""
    basis_help = ("  # effective_basis: issuance (自印发之日起施行) | publication (自发布之日起施行) | date (the text "
                  "names it)\n"
                  "  # | unknown, with effective_between: {earliest: D, latest: D, note: …} instead of `effective`\n"
                  "  #   (earliest and latest: the first and the last day it can have taken effect; in force on "
                  "`latest`);\n  #   `issued` may then be left out when the date of issue is lost too\n")
    issued = dates.issued.isoformat() if dates.issued else PLACEHOLDER
    if dates.between is not None:
        earliest, latest = dates.between
        # a lost date of issue is left out, not invented (docs/guide.md §12)
        head = ("  # issued: YYYY-MM-DD   # the date of issue (印发/成文日期), if known; left out: lost\n"
                if dates.issued is None else f"  issued: {issued}\n")
        return ("dates:\n" + head + "  effective_basis: unknown   # the text does not give its effective date\n"
                f"  effective_between:\n    earliest: {earliest.isoformat()}\n    latest: {latest.isoformat()}\n"
                f"    note: {_quote(PLACEHOLDER + ': where the bounds come from')}\n" + basis_help)
    if dates.effective is not None:
        return (f"dates:\n  issued: {issued}   # 印发/成文日期\n  effective: {dates.effective.isoformat()}\n"
                "  effective_basis: date   # the date the text names (自…起施行)\n" + basis_help)
    if dates.issued is not None:
        return (f"dates:\n  issued: {issued}\n  effective: {issued}\n"
                "  effective_basis: issuance   # 自印发之日起施行; a text naming another date: `effective: D` with "
                "`effective_basis: date`\n" + basis_help)
    return ("dates:   # 待填写: the dates the text gives (`govrules check` refuses 待填写 until they are written)\n"
            f"  issued: {PLACEHOLDER}      # 印发/成文日期, YYYY-MM-DD\n"
            f"  effective: {PLACEHOLDER}   # the date it takes effect (the date of issue when 自印发之日起施行)\n"
            "  effective_basis: issuance\n" + basis_help)


def _text_extent(missing_from: int | None) -> str:
    """The ``text:`` line: a text breaking off at ``missing_from``, or a commented example."""
    if missing_from is None:
        return ("# text: {complete: false, from_article: N, note: …}   # when only part of the text survives "
                "(or missing: [N, …])\n")
    note = _quote(f"{PLACEHOLDER}: which articles survive, what is known of the rest")
    return f"text: {{complete: false, from_article: {missing_from}, note: {note}}}   # or missing: [N, …]\n"


def _cases_text(pack_id: str, *, title: str, document: str, level: str, as_of: dt.date | None,
                extends: str | None) -> str:
    inherited = f"\n# The pack extends {extends}: its inherited rules answer here too." if extends else ""
    return f"""# Test cases of {title}{f"({document})" if document else ""}: run them with
#   govrules test {pack_id}.cases.yaml        (or: pytest {pack_id}.cases.yaml)
# Each case gives a project (merged over `base`) and the parts of the verdict it expects; on a failure
# `govrules test` prints each difference (expected …, got …). Expectation keys: docs/pack-format.md.{inherited}
pack: {pack_id}.yaml
as_of: {as_of.isoformat() if as_of else PLACEHOLDER}   # a day the pack is in force (on or after its dates.effective)
base:
  id: case
  name: 示例项目
  level: {level}
cases:
  - name: 本办法自施行之日起有效
    expect:
      in_force: true
#  - name: 预算金额恰好50万元(含)的建设类项目须审批
#    project: {{execution: construction, budget: 500000}}
#    expect:
#      route: approval
#      route_citations: [1]
"""


def _readme_text(pack_id: str, *, title: str, document: str, extends: str | None) -> str:
    parent = (f"\nIt extends `{extends}`: that pack's articles, facts, parameters and rules are inherited and keep "
              "citing its measure; this pack replaces or disables some of them and adds its own.\n"
              if extends else "")
    return f"""# {title}{f" ({document})" if document else ""} — `{pack_id}`

A govrules policy pack: the measure's articles, facts, parameters and rules as data, evaluated
against a project to give a verdict that cites the articles.
{parent}
| file | holds |
|---|---|
| `{pack_id}.yaml` | the pack |
| `{pack_id}.cases.yaml` | its test cases |

```sh
govrules check {pack_id}.yaml            # load and lint: every problem with file:line:col (exit 1 on errors)
govrules test {pack_id}.cases.yaml       # run the cases (exit 1 on failures, with the differences)
govrules coverage {pack_id}.yaml         # every article and what became of it
govrules evaluate PROJECT.yaml --pack {pack_id}.yaml --as-of YYYY-MM-DD
```

How to write it, step by step: `docs/guide.md` of govrules; the format: `docs/pack-format.md`.
"""
