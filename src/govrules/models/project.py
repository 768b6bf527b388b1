"""The project input: what a unit applies for, with the facts a reviewer knows about it.

Absent or ``null`` means **unknown**, never "no" or "0": the evaluator keeps unknown facts
unknown and names them in the verdict.
"""

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, StrictBool, ValidationError, ValidationInfo, field_validator, model_validator

from govrules.errors import ProjectError
from govrules.models.base import Date, EventDate, Money, Ratio, StrictModel

# Dates are read by govrules.models.dates.parse_date: YYYY-MM-DD only (never "20250101" or an ISO week).
Day = Date
"""A calendar date written YYYY-MM-DD (or a ``date``)."""

Event = EventDate
"""An event's date written YYYY-MM-DD, or ``false`` when it has not happened yet."""

# Events that cannot precede one another; a record that says otherwise (the later event before the earlier
# one, or on a date while the earlier one is `false`, not yet happened) is refused, not guessed at.
# (earlier, later): each pair is checked on the later field, so the error names it. Public: the test
# strategies generate records that respect it.
DATE_ORDER: tuple[tuple[str, str], ...] = (
    ("contract_signed", "acceptance"),
    ("contract_signed", "contract_filed"),
    ("contract_signed", "contract_end"),
    ("acceptance", "acceptance_report_filed"),
    ("application", "approval"),
    ("construction_start", "completion"),
    ("completion", "trial_run_end"),
    ("completion", "acceptance"),
    # through an unstated completion: nothing is accepted, or ends its trial run, before it is begun
    ("construction_start", "trial_run_end"),
    ("construction_start", "acceptance"),
    ("decommissioned", "decommission_filed"),
)
_EARLIER: dict[str, tuple[str, ...]] = {
    later: tuple(earlier for earlier, checked in DATE_ORDER if checked == later) for _, later in DATE_ORDER}


class Level(StrEnum):
    """Administrative level of the applying unit.

    ``province`` 省级; ``prefecture`` 自治州/地区 level (州本级); ``city`` a prefecture-level city's own
    level (地级市 市本级/市直); ``county`` 县、县级市、市辖区.
    """

    province = "province"
    prefecture = "prefecture"
    city = "city"
    county = "county"


class PlaceKind(StrEnum):
    """A functional area that is not one of the four administrative levels.

    ``demonstration_zone`` 示范区 (e.g. 杨凌农业高新技术产业示范区), ``development_zone`` 开发区/高新区,
    ``new_area`` 新区. Such an area has a 管委会 rather than a people's government; ``level`` still says
    the rank at which the project's owner is treated (the rank the province gives the 管委会), so that
    a measure's level rules keep reading ``level``; ``place_kind`` lets a measure that names such areas
    (开发区、新区参照执行) say so.
    """

    demonstration_zone = "demonstration_zone"
    development_zone = "development_zone"
    new_area = "new_area"


PLACE_KIND_ZH: dict[str, str] = {"demonstration_zone": "示范区", "development_zone": "开发区", "new_area": "新区"}


class ProcurementCategory(StrEnum):
    """政府采购的品目类别 (《政府采购法》第二条): 货物 / 服务 / 工程.

    Independent of ``execution``: a 建设类 project may buy 货物 (equipment), 服务 (software
    development is a service under the procurement catalogue) or 工程 (construction works).
    """

    goods = "goods"
    services = "services"
    works = "works"


PROCUREMENT_CATEGORY_ZH: dict[str, str] = {"goods": "货物", "services": "服务", "works": "工程"}


class Execution(StrEnum):
    """执行方式: 建设类 / 服务类.

    ``construction`` is the 建设类 of the measures (信息化项目的新建、扩建、升级改造: 基础设施建设 and
    软件系统开发), not 工程建设类 (a construction-works project of the 招标投标法 sense). Whether a purchase
    is 工程 is ``procurement_category: works``; a measure that speaks of 工程建设项目 reads that.
    """

    construction = "construction"
    service = "service"


class Category(StrEnum):
    """Finer type: 基础设施建设, 软件系统开发 (建设类); 基础设施服务, 软件服务, 运行维护服务, 其他服务 (服务类)."""

    infrastructure_construction = "infrastructure_construction"
    software_development = "software_development"
    infrastructure_service = "infrastructure_service"
    software_service = "software_service"
    operation_maintenance = "operation_maintenance"
    other_service = "other_service"


class Nature(StrEnum):
    """业务性质: 公共类 / 专业类."""

    public = "public"
    professional = "professional"


class FundingSource(StrEnum):
    """Where money comes from."""

    central = "central"  # 中央资金
    provincial = "provincial"  # 省级财政
    prefecture = "prefecture"  # 州(地)本级财政
    municipal = "municipal"  # 市级财政
    county = "county"  # 县(市)级财政
    own_funds = "own_funds"  # 本单位自有资金
    state_owned = "state_owned"  # 其他国有资金 / 国有企业投资
    non_fiscal = "non_fiscal"  # 非财政性资金 (社会资本等)


FISCAL_SOURCES = frozenset({FundingSource.central, FundingSource.provincial, FundingSource.prefecture,
                            FundingSource.municipal, FundingSource.county})


class Purpose(StrEnum):
    """What a budget line pays for."""

    construction = "construction"
    operation_maintenance = "operation_maintenance"


class SystemStatus(StrEnum):
    """What the project does to an information system."""

    new = "new"
    expansion = "expansion"
    upgrade = "upgrade"
    existing = "existing"
    decommission = "decommission"


class ChangeCause(StrEnum):
    """Why a change is requested (Chuxiong 第二十四条: 外部环境变化和不可抗因素)."""

    external_environment = "external_environment"
    force_majeure = "force_majeure"
    other = "other"


class Funding(StrictModel):
    """One source of the project's money."""

    source: FundingSource
    amount: Money | None = None


class Dates(StrictModel):
    """When the project's events happened: a date, ``false`` (not yet), or absent (unknown)."""

    application: Event | None = Field(None, description="立项申请/申报")
    approval: Event | None = Field(None, description="立项批复或备案完成")
    construction_start: Event | None = Field(None, description="开工建设")
    planned_completion: Event | None = Field(None, description="计划完成 (per the annual plan)")
    procurement_plan_filed: Event | None = Field(None, description="采购方案报备")
    contract_signed: Event | None = Field(None, description="合同签订")
    contract_filed: Event | None = Field(None, description="合同(及采购文件)备案")
    contract_end: Event | None = Field(None, description="合同履行期届满")
    supervision_filed: Event | None = Field(None, description="监理单位备案")
    completion: Event | None = Field(None, description="建成/竣工")
    trial_run_end: Event | None = Field(None, description="试运行期满")
    acceptance: Event | None = Field(None, description="竣工验收")
    acceptance_report_filed: Event | None = Field(None, description="验收报告备案")
    self_evaluation_submitted: Event | None = Field(None, description="绩效自评报送 (latest)")
    om_funds_applied: Event | None = Field(None, description="运维经费申请提出 (latest)")
    decommissioned: Event | None = Field(None, description="系统停用")
    decommission_filed: Event | None = Field(None, description="停用报备")

    @field_validator(*dict.fromkeys(later for _, later in DATE_ORDER))
    @classmethod
    def _not_before_earlier_events(cls, value: dt.date | Literal[False] | None,
                                   info: ValidationInfo) -> dt.date | Literal[False] | None:
        if value:
            data = info.data
            for earlier in _EARLIER[info.field_name or ""]:
                first = data.get(earlier)
                if first is False:
                    raise ValueError(f"dates.{info.field_name} ({value}) has happened, but dates.{earlier} is false "
                                     f"(not yet happened), and {info.field_name} cannot come before {earlier}")
                if first and value < first:
                    raise ValueError(f"dates.{info.field_name} ({value}) is before dates.{earlier} ({first})")
        return value


EVENT_NAMES: tuple[str, ...] = tuple(Dates.model_fields)


class System(StrictModel):
    """An information system the project builds, changes or retires."""

    name: str
    status: SystemStatus | None = None
    in_catalogue: StrictBool | None = Field(None, description="列入政务信息系统目录/信息资源目录")
    facts: dict[str, Any] = Field(default_factory=dict, description="facts about this system (pack vocabulary)")


class BudgetLine(StrictModel):
    """A year's money line."""

    year: int = Field(ge=1990, le=2100, strict=True)
    purpose: Purpose
    amount: Money | None = None
    spent: Money | None = None
    carried_over_years: int | None = Field(None, ge=0, le=50, strict=True,
                                           description="consecutive years carried over unused")


class ChangeRequest(StrictModel):
    """A change request during implementation (需求变更)."""

    scale: Ratio | None = Field(None, description="变更规模 as a ratio of the approved scope, e.g. 0.08")
    increases_investment: StrictBool | None = Field(None, description="whether the change adds investment")
    cause: ChangeCause | None = None
    major: StrictBool | None = Field(None, description="重大变更 (major change of conditions or content)")
    date: Day | None = None
    description: str | None = None


class ProjectJurisdiction(StrictModel):
    """Where the project is: the administrative area whose measures govern it.

    Written ``{name: 楚雄州, level: prefecture}`` or just the name (``jurisdiction: 楚雄州``). A name
    matches a pack's jurisdiction with or without its administrative suffix (楚雄州 = 楚雄彝族自治州 =
    楚雄); ``parent`` (the prefecture of a county, the province of a city) lets the measures of the
    area above apply too.
    """

    name: str = Field(min_length=1, description="行政区划名称, e.g. 楚雄州, 禄丰市")
    level: Level | None = None
    parent: str | None = Field(None, min_length=1, description="上级行政区, e.g. 楚雄州 for 禄丰市")

    @model_validator(mode="before")
    @classmethod
    def _name_alone(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    def governed_by(self, name: str, level: str | None = None) -> bool:
        """Whether the measures of the area ``name`` (at ``level``) govern a project here: the same
        area (when both levels are known, at the same level), or the area above it (``parent``)."""
        if same_place(self.name, name) and (self.level is None or level is None or self.level.value == level):
            return True
        return self.parent is not None and same_place(self.parent, name)


# 彝族自治州, 哈尼族彝族自治县, …: the ethnic part and 自治 go with the suffix
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:[\u4e00-\u9fff]{1,4}?族)+自治[州县旗区]$")
_SUFFIX = re.compile(r"^(.{2,}?)(?:特别行政区|自治区|地区|新区|省|市|州|县|区|盟|旗)$")


def place_names(name: str) -> frozenset[str]:
    """The ways a place's name is written: whole, and without its administrative suffix
    (楚雄彝族自治州 → 楚雄; 荆州市 → 荆州; a name of two characters is kept whole)."""
    name = name.strip()
    names = {name}
    found = _AUTONOMOUS.match(name) or _SUFFIX.match(name)
    if found:
        names.add(found.group(1))
    return frozenset(names)


def same_place(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name the same area (楚雄州 and 楚雄彝族自治州; 荆州 and 荆州市)."""
    return not place_names(a).isdisjoint(place_names(b))


class Project(StrictModel):
    """A government IT project as a reviewer sees it.

    >>> Project.model_validate({"id": "p1", "name": "示例", "budget": "48万元"}).budget
    Decimal('480000')
    """

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    owner: str | None = None
    level: Level | None = None
    jurisdiction: ProjectJurisdiction | None = None
    """Where the project is; unknown (absent) means every measure may apply (see ``evaluate_all``)."""
    place_kind: PlaceKind | None = None
    """示范区/开发区/新区 when the owner's area is such a zone; absent: an ordinary administrative area
    (or unknown)."""
    execution: Execution | None = None
    category: Category | None = None
    nature: Nature | None = None
    procurement_category: ProcurementCategory | None = None
    """政府采购品目: goods 货物 / services 服务 / works 工程 (absent: unknown)."""
    budget: Money | None = None
    procurement_budget: Money | None = None
    funding: list[Funding] | None = None
    dates: Dates = Field(default_factory=Dates)
    systems: list[System] | None = None
    budget_lines: list[BudgetLine] | None = None
    changes: list[ChangeRequest] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Validate ``obj``; if invalid, raise :class:`~govrules.errors.ProjectError` (a ``GovrulesError``
        listing each problem with its field path), not pydantic's ``ValidationError``."""
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise project_error(exc) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Self:
        """Validate JSON text; raise :class:`~govrules.errors.ProjectError` with field paths if invalid."""
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise project_error(exc) from None

    @field_validator("category")
    @classmethod
    def _category_matches_execution(cls, category: Category | None, info: ValidationInfo) -> Category | None:
        # checked on `category` (validated after `execution`), so that the error names the field
        execution = info.data.get("execution")
        if category is not None and execution is not None:
            expected = CATEGORY_EXECUTION[category]
            if expected is not execution:
                raise ValueError(f"category `{category.value}` is a {expected.value} project, "
                                 f"but execution is `{execution.value}`")
        return category

    def effective_execution(self) -> Execution | None:
        """``execution``, or the one implied by ``category`` when only that is given."""
        if self.execution is not None:
            return self.execution
        return CATEGORY_EXECUTION[self.category] if self.category is not None else None


CATEGORY_EXECUTION: dict[Category, Execution] = {
    Category.infrastructure_construction: Execution.construction,
    Category.software_development: Execution.construction,
    Category.infrastructure_service: Execution.service,
    Category.software_service: Execution.service,
    Category.operation_maintenance: Execution.service,
    Category.other_service: Execution.service,
}


def project_error(exc: ValidationError, source: str | None = None) -> ProjectError:
    """Pydantic's errors on a project as a :class:`ProjectError` listing each field path."""
    errors = [project_error_entry(e) for e in exc.errors()]
    prefix = f"{source}: " if source else ""
    summary = "; ".join(f"{e['path'] or '(record)'}: {e['message']}" for e in errors[:5])
    return ProjectError(f"{prefix}invalid project: {summary}", errors=errors, source=source,
                        message_zh="项目数据有误: " + summary)


def project_error_entry(error: Any) -> dict[str, Any]:
    """One pydantic error as ``{path, message, type}``; unknown keys point at the key itself."""
    loc = [str(p) for p in error["loc"] if not str(p).startswith("function-")]
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("unknown key `"):
        loc.append(message.split("`")[1])
    if error["type"] == "missing":
        message = "required"
    return {"path": ".".join(loc), "message": message, "type": error["type"]}
