"""A digest's text and page, without a database."""

from __future__ import annotations

import uuid
from datetime import date

from workflows.escalation.digest import MAX_LINES, SHORT, Item, Person, compose, link

PERSON = Person("hp_vp_cv", "hp_vp_cv@demo.giaoviec.vn", "Chuyên viên Văn phòng <Sở>")
DAY = date(2026, 4, 6)


def _item(n: int, kind: str = "danh_sach_tuan", **changes) -> Item:
    fields = dict(instance_id=uuid.UUID(int=n), kind=kind, unit_name=f"Trường THCS Lê Chân {n}",
                  content="Báo cáo  kết quả\nthực hiện " + "chuyển đổi số " * 10, period="Quý I/2026",
                  last_day=date(2026, 3, 31), remaining=-1, late=4, phase="working")  # fmt: skip
    return Item(**{**fields, **changes})


def test_a_long_list_is_cut_and_says_how_many_more():
    payload = compose(PERSON, DAY, [_item(n) for n in range(1, MAX_LINES + 1235)], "https://gv.example.vn/")
    lines = payload["text"].splitlines()
    assert payload["subject"] == "[Giao việc] Đôn đốc ngày 06/04/2026: 1.434 việc"
    assert "Danh sách việc quá hạn toàn tỉnh (hằng tuần) (1.434):" in lines
    assert sum(line.startswith("- ") for line in lines) == MAX_LINES
    assert "… và 1.234 việc khác (xem trên hệ thống)" in lines
    assert lines[lines.index("Danh sách việc quá hạn toàn tỉnh (hằng tuần) (1.434):") + 2].startswith("- Trường THCS Lê Chân 2: ")
    assert payload["link"] == "https://gv.example.vn/tasks"


def test_one_line_per_item_most_urgent_first_and_escaped_in_html():
    items = [_item(1, "nhac_truoc_3", remaining=3, late=0, phase="new"), _item(2, "den_han", remaining=0, late=0),
             _item(3, "qua_han", late=1, phase="returned"), _item(4, "vuot_cap", late=2, unit_name="Trường <b>X</b>")]  # fmt: skip
    payload = compose(PERSON, DAY, items, "https://gv.example.vn")
    lines = [line for line in payload["text"].splitlines() if line.startswith("- ")]
    assert [line.rsplit(" — ", 1)[1] for line in lines] == [
        "quá hạn 2 ngày làm việc, chuyển cấp trên", "quá hạn 1 ngày làm việc; bị trả lại",
        "đến hạn hôm nay", "còn 3 ngày làm việc; chưa tiếp nhận",
    ]  # fmt: skip
    what = lines[0].removeprefix("- Trường <b>X</b>: ").split(" (Quý I/2026) — ")[0]
    assert what.startswith("Báo cáo kết quả thực hiện chuyển đổi số") and what.endswith(" chuyển…")  # whole words
    assert len(what) <= SHORT
    assert "Trường &lt;b&gt;X&lt;/b&gt;" in payload["html"] and "<b>X</b>" not in payload["html"]
    assert "Kính gửi Chuyên viên Văn phòng &lt;Sở&gt;," in payload["html"]
    assert f'href="{link("https://gv.example.vn", uuid.UUID(int=4))}"' in payload["html"]
    assert link("https://gv.example.vn/", uuid.UUID(int=4)) == "https://gv.example.vn/tasks?instance=00000000-0000-0000-0000-000000000004"
