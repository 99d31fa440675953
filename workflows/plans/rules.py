"""The "6 rõ" rules: a task is dispatchable when person, job, time, responsibility,
deliverable and authority are all clear. Pure functions of what the task's cells resolved to.

Each rule names itself as the plans do ("rõ người" …) and explains a failure in Vietnamese.
"rõ người" here asks that the lead resolves to exactly one unit; naming the person who answers
for it happens at dispatch, when a unit's officer is assigned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RULES = ("rõ người", "rõ việc", "rõ thời gian", "rõ trách nhiệm", "rõ sản phẩm", "rõ thẩm quyền")


@dataclass(frozen=True)
class TaskFacts:
    content: str
    deliverable: str | None
    lead_units: int  # single units the lead cell resolved to
    lead_groups: int  # group expressions in the lead cell
    unknown_names: tuple[str, ...]  # names in the lead/coordinator cells that matched nothing
    timeframe_error: str | None  # None when the timeframe parsed
    authority: str | None
    coordinators: int = 0


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class SixClear:
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def clear(self) -> bool:
        return not self.findings


def check(facts: TaskFacts) -> SixClear:
    found = []
    if facts.lead_units != 1 or facts.lead_groups:
        if facts.lead_units == 0 and not facts.lead_groups:
            message = "Chưa xác định đơn vị chủ trì."
        else:
            message = "Đơn vị chủ trì phải là đúng một đơn vị, không phải một nhóm hay nhiều đơn vị."
        found.append(Finding("rõ người", message))
    if len(facts.content.strip()) < 10:
        found.append(Finding("rõ việc", "Nội dung nhiệm vụ trống hoặc quá ngắn để hiểu phải làm gì."))
    if facts.timeframe_error:
        found.append(Finding("rõ thời gian", f"Chưa hiểu thời gian thực hiện: {facts.timeframe_error}"))
    if facts.unknown_names:
        names = "; ".join(facts.unknown_names)
        found.append(Finding("rõ trách nhiệm", f"Chưa xác định được đơn vị: {names}. Hãy ánh xạ vào đơn vị có sẵn hoặc đánh dấu là cơ quan ngoài ngành."))
    if not (facts.deliverable or "").strip():
        found.append(Finding("rõ sản phẩm", "Chưa có sản phẩm/kết quả cần đạt."))
    if not (facts.authority or "").strip():
        found.append(Finding("rõ thẩm quyền", "Chưa xác định cấp có thẩm quyền phê duyệt kết quả."))
    return SixClear(tuple(found))
