"""What a refused person reads: Vietnamese first ("Bạn không có quyền …"), English second.

Every message gets ``action`` / ``action_en`` (``workflows.authz.actions.LABELS``); the others
name what the refusal is about.
"""

from __future__ import annotations

from engine import register

MESSAGES: dict[str, tuple[str, str]] = {
    "authz_user_inactive": (
        "Bạn không có quyền {action}: tài khoản {username} đã ngừng hoạt động.",
        "You may not {action_en}: the account {username} is inactive.",
    ),
    "authz_unit_inactive": (
        "Bạn không có quyền {action}: đơn vị {unit} của bạn đã ngừng hoạt động.",
        "You may not {action_en}: your unit {unit} is inactive.",
    ),
    "authz_no_role": (
        "Bạn không có quyền {action}: tài khoản {username} chưa được gán vai trò nào.",
        "You may not {action_en}: the account {username} has no role.",
    ),
    "authz_other_province": (
        "Bạn không có quyền {action}: {ref} thuộc tỉnh, thành phố khác.",
        "You may not {action_en}: {ref} belongs to another province.",
    ),
    "authz_not_visible": (
        "Bạn không có quyền {action}: {ref} nằm ngoài phạm vi công việc đơn vị bạn được xem.",
        "You may not {action_en}: {ref} is outside the work your unit may see.",
    ),
    "authz_read_only": (
        "Bạn không có quyền {action}: thanh tra chỉ được xem, không được thay đổi.",
        "You may not {action_en}: an inspector reads and changes nothing.",
    ),
    "authz_admin_not_party": (
        "Bạn không có quyền {action}: quản trị viên cấu hình hệ thống, không xử lý hay phê duyệt công việc.",
        "You may not {action_en}: an administrator configures the system but does not do or approve work.",
    ),
    "authz_not_candidate": (
        "Bạn không có quyền {action}: bước «{step}» do {role} của {unit} thực hiện.",
        "You may not {action_en}: the step “{step}” is done by a {role_en} of {unit}.",
    ),
    "authz_assigned_to_other": (
        "Bạn không có quyền {action}: bước «{step}» đã được giao cho {assignee}.",
        "You may not {action_en}: the step “{step}” is assigned to {assignee}.",
    ),
    "authz_not_unit_leader": (
        "Bạn không có quyền {action}: chỉ lãnh đạo {unit} mới giao lại được bước «{step}».",
        "You may not {action_en}: only a leader of {unit} may reassign the step “{step}”.",
    ),
    "authz_not_plan_staff": (
        "Bạn không có quyền {action}: việc này do cán bộ của {unit} (đơn vị ban hành kế hoạch) hoặc các phòng của đơn vị đó thực hiện.",
        "You may not {action_en}: this is done by the staff of {unit} (the issuing unit) or of its divisions.",
    ),
    "authz_not_issuer_leader": (
        "Bạn không có quyền {action}: chỉ lãnh đạo {unit} (đơn vị ban hành kế hoạch) hoặc người được lãnh đạo ủy quyền.",
        "You may not {action_en}: only a leader of {unit} (the issuing unit) or their delegate may.",
    ),
    "authz_delegate_for_other": (
        "Bạn không có quyền {action} thay {giver}: lãnh đạo chỉ tự ủy quyền phê duyệt của chính mình.",
        "You may not {action_en} for {giver}: a leader delegates only their own approvals.",
    ),
    "authz_delegate_not_leader": (
        "Bạn không có quyền {action}: chỉ lãnh đạo mới ủy quyền phê duyệt.",
        "You may not {action_en}: only a leader delegates approvals.",
    ),
    "authz_not_admin": (
        "Bạn không có quyền {action}: việc này cần vai trò quản trị.",
        "You may not {action_en}: this needs the administrator role.",
    ),
    "authz_not_auditor": (
        "Bạn không có quyền {action}: chỉ thanh tra hoặc quản trị viên được xem.",
        "You may not {action_en}: only an inspector or an administrator may.",
    ),
    "authz_not_process_staff": (
        "Bạn không có quyền {action}: việc này dành cho lãnh đạo, chuyên viên của {unit} và các phòng, hoặc quản trị viên.",
        "You may not {action_en}: this is for the leaders and officers of {unit} and its divisions, or an administrator.",
    ),
    # Not security events: the request does not fit the state of what it names.
    "authz_step_has_no_action": (
        "Không thể {action} ở bước «{step}»; bước này có: {actions}.",
        "Cannot {action_en} at the step “{step}”; it offers: {actions_en}.",
    ),
    "authz_task_not_open": (
        "Không thể {action}: bước «{step}» không còn mở ({status}).",
        "Cannot {action_en}: the step “{step}” is no longer open ({status}).",
    ),
    "authz_delegate_receiver": (
        "Không ủy quyền được cho {receiver}: người nhận phải là người khác, đang hoạt động, cùng tỉnh, thành phố.",
        "Cannot delegate to {receiver}: the receiver must be another active person of the same province.",
    ),
    "authz_assignee_not_eligible": (
        "Không giao được bước «{step}» cho {assignee}: người nhận phải đang hoạt động, thuộc {unit} và có vai trò {role}.",
        "Cannot assign the step “{step}” to {assignee}: they must be active, in {unit}, with the role {role_en}.",
    ),
}

register(MESSAGES)
