"""The user actions the rules decide, named as issue 12 names them, with what a person reads.

Three families, by what they act on: a human task (``TaskAction``), a plan (``PlanAction``) and
the organisation or the system (``OrgAction``). The labels complete "Bạn không có quyền …" /
"You may not …" in refusals.
"""

from __future__ import annotations

from enum import StrEnum


class TaskAction(StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    REASSIGN = "reassign"  # inside the unit, to a person
    ACCEPT = "accept"
    SAVE_DRAFT = "save_draft"
    SUBMIT = "submit"
    REQUEST_EXTENSION = "request_extension"
    APPROVE = "approve"
    RETURN = "return"
    GRANT_EXTENSION = "grant_extension"
    REFUSE_EXTENSION = "refuse_extension"
    SIGN = "sign"


class PlanAction(StrEnum):
    VIEW = "view"
    IMPORT = "import"
    MAP_UNKNOWN = "map_unknown"
    MARK_EXTERNAL = "mark_external"
    RECHECK = "recheck"
    RECORD_EXCEPTION = "record_exception"
    DISPATCH = "dispatch"
    AMEND = "amend"


class OrgAction(StrEnum):
    DELEGATE = "delegate"
    MANAGE_UNITS = "manage_units"
    MANAGE_USERS = "manage_users"
    CONFIGURE = "configure"
    READ_AUDIT = "read_audit"


class ProcessAction(StrEnum):
    """The process designer's actions (deployed definitions are shared by every province)."""

    READ = "read_processes"  # the versions, their diagrams and diffs
    DESIGN = "design_process"  # validate a model in the designer
    DEPLOY = "deploy_process"
    MIGRATE = "migrate_instances"


Action = TaskAction | PlanAction | OrgAction | ProcessAction

LABELS: dict[str, tuple[str, str]] = {
    "view": ("xem", "view"),
    "comment": ("góp ý", "comment"),
    "reassign": ("giao lại việc", "reassign"),
    "accept": ("tiếp nhận nhiệm vụ", "accept the task"),
    "save_draft": ("lưu dự thảo báo cáo", "save a draft report"),
    "submit": ("gửi báo cáo", "submit"),
    "request_extension": ("đề nghị gia hạn", "request an extension"),
    "approve": ("duyệt", "approve"),
    "return": ("trả lại", "return"),
    "grant_extension": ("gia hạn", "grant an extension"),
    "refuse_extension": ("từ chối gia hạn", "refuse an extension"),
    "sign": ("ký duyệt", "sign off"),
    "import": ("nhập kế hoạch", "import a plan"),
    "map_unknown": ("gán tên đơn vị chưa xác định", "map an unknown body"),
    "mark_external": ("đánh dấu cơ quan ngoài ngành", "mark a body external"),
    "recheck": ("kiểm tra lại kế hoạch", "recheck the plan"),
    "record_exception": ("ghi nhận ngoại lệ “6 rõ”", "record a “6 rõ” exception"),
    "dispatch": ("giao nhiệm vụ của kế hoạch", "dispatch the plan"),
    "amend": ("điều chỉnh kế hoạch", "amend the plan"),
    "delegate": ("ủy quyền", "delegate"),
    "manage_units": ("quản lý đơn vị", "manage units"),
    "manage_users": ("quản lý người dùng", "manage users"),
    "configure": ("cấu hình hệ thống", "configure the system"),
    "read_audit": ("xem nhật ký kiểm toán", "read the audit trail"),
    "read_processes": ("xem các quy trình và phiên bản", "read the processes and their versions"),
    "design_process": ("thiết kế quy trình", "design a process"),
    "deploy_process": ("triển khai quy trình", "deploy a process"),
    "migrate_instances": ("chuyển hồ sơ sang phiên bản khác", "move instances to another version"),
}

