"""The domain's messages (Vietnamese first, English second), added to the engine's catalog."""

from __future__ import annotations

from engine import register

MESSAGES: dict[str, tuple[str, str]] = {
    "unit_not_found": ("Không tìm thấy đơn vị \"{code}\".", 'No unit "{code}".'),
    "unit_exists": ("Mã đơn vị \"{code}\" đã tồn tại.", 'The unit code "{code}" already exists.'),
    "unit_bad_kind": ("Loại đơn vị \"{kind}\" không hợp lệ (các loại: {kinds}).", 'Unknown unit kind "{kind}" (kinds: {kinds}).'),
    "unit_bad_parent": (
        "{kind} không thể trực thuộc {parent_kind} ({parent}).",
        "A {kind} cannot sit under a {parent_kind} ({parent}).",
    ),
    "unit_alias_taken": (
        "Tên gọi \"{alias}\" đã dùng cho đơn vị {other}.",
        'The name "{alias}" already belongs to unit {other}.',
    ),
    "name_blank": ("{label_vi} không được để trống.", "{label_en} must not be blank."),
    "name_too_long": (
        "{label_vi} quá dài ({length} ký tự; tối đa {limit}).",
        "{label_en} is too long ({length} characters; at most {limit}).",
    ),
    "name_hidden_character": (
        "{label_vi} chứa ký tự ẩn hoặc ký tự điều khiển không được phép: {char}.",
        "{label_en} contains a hidden or control character that is not allowed: {char}.",
    ),
    "user_not_found": ("Không tìm thấy người dùng \"{username}\".", 'No user "{username}".'),
    "user_exists": ("Tên đăng nhập \"{username}\" đã tồn tại.", 'The username "{username}" already exists.'),
    "role_unknown": ("Vai trò \"{role}\" không hợp lệ (các vai trò: {roles}).", 'Unknown role "{role}" (roles: {roles}).'),
    "delegation_not_leader": (
        "{username} không phải lãnh đạo đơn vị nên không thể ủy quyền phê duyệt.",
        "{username} is not a leader, so cannot delegate approvals.",
    ),
    "delegation_bad_period": (
        "Thời gian ủy quyền không hợp lệ: từ {starts_on} đến {ends_on}.",
        "Invalid delegation period: from {starts_on} to {ends_on}.",
    ),
    "plan_exception_not_leader": (
        "{username} không phải lãnh đạo (hoặc người được ủy quyền) của đơn vị ban hành kế hoạch.",
        "{username} is not a leader (or delegate) of the unit that issued the plan.",
    ),
    "plan_not_found": ("Không tìm thấy kế hoạch {id}.", "No plan {id}."),
    "plan_exists": (
        "Kế hoạch số {number} năm {year} đã được nhập (#{id}); không nhập trùng. Có thể thay thế kế hoạch đó khi nó chưa được giao.",
        "Plan {number} of {year} was already imported (#{id}); it is not imported twice. It can be replaced while not yet dispatched.",
    ),
    "plan_replace_dispatched": (
        "Kế hoạch số {number} năm {year} (#{id}) đã được giao nên không thể thay thế.",
        "Plan {number} of {year} (#{id}) has been dispatched, so it cannot be replaced.",
    ),
    "plan_task_not_found": ("Kế hoạch {plan} không có nhiệm vụ STT {stt}.", "Plan {plan} has no task number {stt}."),
    "import_row": ("Dòng {row}: {detail}", "Row {row}: {detail}"),
    "file_refused": ("{vi}", "{en}"),
}

register(MESSAGES)
