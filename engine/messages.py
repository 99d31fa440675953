"""Every message the engine shows a person, in Vietnamese first and English second.

Messages are looked up by a stable code, so that callers (CLI, web, tests) can branch on the
code while people read the text in their language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_LANGUAGE = "vi"

CATALOG: dict[str, tuple[str, str]] = {
    # XML safety
    "xml_empty": ("Tệp rỗng, không có nội dung BPMN.", "The file is empty."),
    "xml_too_large": (
        "Tệp quá lớn ({size} byte); giới hạn là {limit} byte.",
        "The file is too large ({size} bytes); the limit is {limit} bytes.",
    ),
    "xml_doctype": (
        "Tệp có khai báo DOCTYPE/ENTITY; không được phép vì lý do an toàn.",
        "The file declares a DOCTYPE or ENTITY, which is refused for safety.",
    ),
    "xml_too_deep": (
        "Tệp lồng nhau quá sâu (hơn {limit} cấp).",
        "The file is nested too deeply (more than {limit} levels).",
    ),
    "xml_malformed": ("Tệp không phải XML hợp lệ: {detail}", "The file is not well-formed XML: {detail}"),
    "xml_not_text": ("Tệp không phải văn bản XML (dữ liệu nhị phân).", "The file is not XML text (binary data)."),
    "xml_wrong_root": (
        "Phần tử gốc phải là bpmn:definitions, không phải {root}.",
        "The root element must be bpmn:definitions, not {root}.",
    ),
    "xml_xinclude": (
        "Tệp dùng XInclude để chèn nội dung ngoài; không được phép.",
        "The file uses XInclude to pull in outside content, which is refused.",
    ),
    "xml_processing_instruction": (
        "Tệp có chỉ thị xử lý (processing instruction) không được phép: {target}.",
        "The file has a processing instruction that is not allowed: {target}.",
    ),
    # BPMN structure
    "bpmn_unsupported_element": (
        "Phần tử {tag} chưa được hỗ trợ.",
        "The element {tag} is not supported.",
    ),
    "bpmn_unsupported_event": (
        "Sự kiện {kind} chưa được hỗ trợ ở đây.",
        "The {kind} event is not supported here.",
    ),
    "bpmn_no_executable_process": (
        "Không có quy trình nào được đánh dấu có thể thực thi (isExecutable=\"true\").",
        'No process is marked executable (isExecutable="true").',
    ),
    "bpmn_bad_process_id": (
        "Mã quy trình phải bắt đầu bằng chữ cái hoặc '_', sau đó là chữ cái (có dấu, dựng sẵn NFC), chữ số, '_', '.' "
        "hoặc '-' (tối đa 100 ký tự).",
        "The process id must start with a letter or '_', followed by letters (composed, NFC), digits, '_', '.' "
        "or '-' (at most 100 characters).",
    ),
    "bpmn_duplicate_id": ("Mã phần tử bị trùng: {id}.", "Duplicate element id: {id}."),
    "bpmn_missing_id": ("Phần tử {tag} thiếu thuộc tính id.", "The {tag} element has no id."),
    "bpmn_dangling_reference": (
        "Tham chiếu {attribute}=\"{ref}\" không trỏ tới phần tử nào.",
        '{attribute}="{ref}" refers to no element.',
    ),
    "bpmn_parser_error": ("Lỗi cấu trúc BPMN: {detail}", "BPMN structure error: {detail}"),
    "bpmn_user_task_no_lane": (
        "Công việc người dùng phải nằm trong một làn (lane) ứng với một vai trò.",
        "A user task must lie in a lane that maps to a role.",
    ),
    "bpmn_lane_unknown_role": (
        "Làn \"{lane}\" không ứng với vai trò nào (các vai trò: {roles}).",
        'The lane "{lane}" maps to no role (roles: {roles}).',
    ),
    "bpmn_lane_rule_unknown": (
        "Làn có {what} \"{value}\" không được hỗ trợ (chọn một trong: {known}).",
        'The lane\'s {what_en} "{value}" is not supported (choose one of: {known}).',
    ),
    "bpmn_timer_unparseable": (
        "Biểu thức hẹn giờ \"{expression}\" không hợp lệ: {detail}",
        'The timer expression "{expression}" is not valid: {detail}',
    ),
    "bpmn_script_rejected": (
        "Mã lệnh không được phép: {detail}",
        "The script is not allowed: {detail}",
    ),
    "bpmn_condition_missing": (
        "Luồng ra từ cổng rẽ nhánh thiếu điều kiện và không phải luồng mặc định.",
        "A flow out of the gateway has no condition and is not the default flow.",
    ),
    "bpmn_call_unknown_process": (
        "Quy trình được gọi \"{called}\" không có trong tệp này; quy trình được gọi phải nằm cùng tệp BPMN.",
        'The called process "{called}" is not in this file; a called process must be in the same BPMN file.',
    ),
    # Sandbox
    "script_forbidden": ("Mã lệnh bị từ chối: {detail}", "The script was refused: {detail}"),
    "script_timeout": (
        "Mã lệnh chạy quá thời gian cho phép ({seconds} giây).",
        "The script ran longer than allowed ({seconds} s).",
    ),
    "script_memory": (
        "Mã lệnh dùng quá bộ nhớ cho phép ({megabytes} MB).",
        "The script used more memory than allowed ({megabytes} MB).",
    ),
    "script_failed": ("Mã lệnh lỗi: {detail}", "The script failed: {detail}"),
    "script_bad_value": (
        "Mã lệnh tạo ra giá trị không lưu được (chỉ hỗ trợ số, chuỗi, danh sách, từ điển): {name}.",
        "The script produced a value that cannot be stored (numbers, strings, lists, dicts only): {name}.",
    ),
    # Runtime
    "definition_not_found": (
        "Không tìm thấy quy trình \"{key}\".",
        'No process "{key}" is deployed.',
    ),
    "instance_not_found": ("Không tìm thấy phiên bản quy trình {id}.", "No process instance {id}."),
    "instance_not_running": (
        "Phiên bản quy trình {id} không còn chạy ({status}); không thể thực hiện thêm bước nào.",
        "Process instance {id} is {status}; no further step can run.",
    ),
    "task_not_found": ("Không tìm thấy công việc {id}.", "No task {id}."),
    "task_already_completed": (
        "Công việc {id} đã được hoàn thành lúc {at} bởi {by}; không thể hoàn thành lần nữa.",
        "Task {id} was already completed at {at} by {by}; it cannot be completed again.",
    ),
    "task_not_open": (
        "Công việc {id} không còn mở (trạng thái: {status}).",
        "Task {id} is no longer open (status: {status}).",
    ),
    "conflict": (
        "Dữ liệu vừa được người khác thay đổi ({id}); thao tác của bạn chưa được áp dụng, hãy tải lại và thử lại.",
        "Someone else changed this just now ({id}); your action was not applied. Reload and try again.",
    ),
    "database_not_ready": (
        "Cơ sở dữ liệu chưa được khởi tạo hoặc chưa nâng cấp; hãy chạy: giaoviec db upgrade",
        "The database is not initialised or not up to date; run: giaoviec db upgrade",
    ),
    "database_unreachable": (
        "Không kết nối được cơ sở dữ liệu: {detail}",
        "Cannot reach the database: {detail}",
    ),
    "database_busy": (
        "Cơ sở dữ liệu đang bận; thao tác chưa được áp dụng, hãy thử lại.",
        "The database is busy; nothing was applied. Try again.",
    ),
    "instance_has_incident": (
        "Phiên bản quy trình đang có sự cố #{incident} tại {element}: {detail}",
        "The process instance has incident #{incident} at {element}: {detail}",
    ),
    "step_failed": (
        "Bước {element} thất bại: {detail}. Đã ghi nhận sự cố #{incident}; không có thay đổi nào được áp dụng.",
        "Step {element} failed: {detail}. Incident #{incident} was recorded; nothing was applied.",
    ),
    "start_failed": (
        "Bước {element} thất bại: {detail}. Chưa khởi tạo phiên bản nào; sửa rồi khởi tạo lại.",
        "Step {element} failed: {detail}. No instance was started; fix the cause and start again.",
    ),
    "incident_not_found": ("Không tìm thấy sự cố {id}.", "No incident {id}."),
    "incident_not_open": ("Sự cố {id} đã được xử lý.", "Incident {id} is already resolved."),
    "bad_data": ("Dữ liệu không hợp lệ: {detail}", "Invalid data: {detail}"),
    "incident_resolve_running": (
        "Sự cố {id} thuộc phiên bản quy trình đang chạy; hãy chạy lại (incidents retry) hoặc hủy phiên bản trước khi đóng sự cố.",
        "Incident {id} belongs to a running instance; retry it (incidents retry) or cancel the instance before closing it.",
    ),
    "incident_reason_required": (
        "Cần nêu lý do đóng sự cố (tối đa {limit} ký tự).",
        "A reason for closing the incident is required (at most {limit} characters).",
    ),
    # Audit trail: what verify finds
    "audit_seal_missing": (
        "Thiếu niêm phong #{seal} (trước sự kiện #{event}): nhật ký đã bị xóa một phần.",
        "Seal #{seal} is missing (before event #{event}): part of the trail was deleted.",
    ),
    "audit_link_broken": (
        "Niêm phong #{seal} (sự kiện #{event}) không nối với niêm phong trước: chuỗi đã bị sửa.",
        "Seal #{seal} (event #{event}) does not link to the previous seal: the chain was altered.",
    ),
    "audit_event_altered": (
        "Sự kiện #{event} (niêm phong #{seal}) đã bị sửa sau khi niêm phong.",
        "Event #{event} (seal #{seal}) was altered after it was sealed.",
    ),
    "audit_trigger_missing": (
        "Thiếu trigger bảo vệ {name} trên bảng {table}: nhật ký có thể đã bị sửa hoặc xóa; hãy đối chiếu với mốc neo (--anchor).",
        "The protecting trigger {name} on {table} is missing: the trail may have been changed; check it against the anchors (--anchor).",
    ),
    "audit_trigger_disabled": (
        "Trigger bảo vệ {name} trên bảng {table} đã bị tắt: nhật ký có thể đã bị sửa hoặc xóa; hãy đối chiếu với mốc neo (--anchor).",
        "The protecting trigger {name} on {table} is disabled: the trail may have been changed; check it against the anchors (--anchor).",
    ),
    "audit_trigger_altered": (
        "Trigger bảo vệ {name} trên bảng {table} đã bị thay đổi: nhật ký có thể đã bị sửa hoặc xóa; hãy đối chiếu với mốc neo (--anchor).",
        "The protecting trigger {name} on {table} was altered: the trail may have been changed; check it against the anchors (--anchor).",
    ),
    "audit_unsealable": (
        "{count} sự kiện có mã không hợp lệ (đầu tiên: #{event}), không bao giờ được niêm phong.",
        "{count} events have an invalid id (first: #{event}) and can never be sealed.",
    ),
    "audit_unsealed_too_long": (
        "{count} sự kiện vẫn chưa được niêm phong dù đã qua một lượt niêm phong hơn {minutes} phút sau đó (đầu tiên: #{event}).",
        "{count} events are still unsealed although a seal ran more than {minutes} minutes after them (first: #{event}).",
    ),
    "audit_anchor_mismatch": (
        "{origin}: mốc neo công bố lúc {at} ghi niêm phong #{seal} với mã băm khác: nhật ký đến niêm phong đó đã bị viết lại.",
        "{origin}: the anchor published at {at} recorded another hash for seal #{seal}: the trail up to that seal was rewritten.",
    ),
    "audit_truncated": (
        "{origin}: mốc neo công bố lúc {at} ghi niêm phong #{seal}, nhưng chuỗi nay chỉ đến #{head}: phần cuối nhật ký đã bị xóa.",
        "{origin}: the anchor published at {at} recorded seal #{seal}, but the chain now ends at #{head}: its tail was deleted.",
    ),
    "audit_backdated": (
        "Sự kiện #{event} (niêm phong #{seal}) ghi thời điểm {occurred}, sớm hơn mốc neo công bố lúc {anchored} quá {minutes} phút: sự kiện bị ghi lùi ngày.",
        "Event #{event} (seal #{seal}) says it occurred at {occurred}, more than {minutes} minutes before the anchor published at {anchored}: it was back-dated.",
    ),
    "audit_anchor_malformed": (
        "{origin}: dòng mốc neo không đúng dạng \"<thời điểm ISO> <số niêm phong> <mã băm>\": {detail}",
        "{origin}: an anchor line must read \"<ISO instant> <seal number> <hash>\": {detail}",
    ),
    # Process data limits (engine/data_limits.py)
    "data_too_deep": (
        "Dữ liệu lồng nhau quá sâu tại {path} (tối đa {limit} cấp).",
        "Data nested too deeply at {path} (at most {limit} levels).",
    ),
    "data_too_many_keys": (
        "Quá nhiều khóa tại {path}: {count} (tối đa {limit}).",
        "Too many keys at {path}: {count} (at most {limit}).",
    ),
    "data_too_large": (
        "Dữ liệu quá lớn tại {path}: {size} byte (tối đa {limit} byte).",
        "Data too large at {path}: {size} bytes (at most {limit} bytes).",
    ),
    "data_not_json": (
        "Dữ liệu tại {path} không lưu được (chỉ số hữu hạn, chuỗi, đúng/sai, null, danh sách và từ điển có khóa là chuỗi): {kind}.",
        "The data at {path} cannot be stored (finite numbers, strings, booleans, null, lists and dicts with string keys only): {kind}.",
    ),
    # Steps that cannot run or whose state cannot be read or written (engine/steps.py)
    "engine_steps_exceeded": (
        "Quy trình chạy quá {limit} bước liền mà không dừng ở bước chờ nào (vòng lặp không thoát?)",
        "The process ran more than {limit} steps without reaching a wait state (a loop that never exits?)",
    ),
    "task_tree_too_deep": (
        "Cây công việc của phiên bản sâu {depth} cấp, vượt giới hạn {limit} mà SpiffWorkflow duyệt được",
        "The instance's task tree is {depth} levels deep, beyond the {limit} that SpiffWorkflow can walk",
    ),
    "state_unreadable": (
        "Không đọc được trạng thái đã lưu của phiên bản: {detail}",
        "The instance's stored state cannot be read: {detail}",
    ),
    "state_unwritable": (
        "Không ghi được trạng thái của phiên bản: {detail}",
        "The instance's state cannot be written: {detail}",
    ),
}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a layer's own messages (the domain's) to the catalog; codes must not collide."""
    clash = set(messages) & set(CATALOG)
    if clash - {code for code in clash if CATALOG[code] == messages[code]}:
        raise ValueError(f"message codes already defined: {sorted(clash)}")
    CATALOG.update(messages)


def render(message_code: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message for ``message_code`` in ``lang`` ("vi" or "en"), with ``params`` filled in."""
    vi, en = CATALOG[message_code]
    template = en if lang == "en" else vi
    return template.format(**params)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, tied to the element it concerns (if any)."""

    code: str
    element_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(self.code, lang, **self.params)

    def as_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {"code": self.code, "element_id": self.element_id, "message": self.message(lang)}
