"""Refusing a phrase: the reason, then the forms that are accepted, Vietnamese first.

A refusal is how the parser "never guesses": a clerk who reads it learns what to type instead.
"""

from __future__ import annotations

from typing import NoReturn

from workflows.timeframes.model import TimeframeRefused

ACCEPTED_VI = """Các cách ghi thời gian được chấp nhận (không phân biệt hoa thường, "hàng"/"hằng"):
- Một lần: "Quý II", "Quý 2/2026", "Quý I, II", "Quý I và Quý II", "Định kỳ quý I, II", "Quý II-III", "Tháng 3", "Tháng 3/2026", "Tháng 3-5/2026", "6 tháng đầu năm", "6 tháng cuối năm 2026", "Năm 2026", "2026-2027", "Giai đoạn 2026-2030", "Năm học 2026-2027", "Năm học 2025-2026 và 2026-2027", "Học kỳ I năm học 2026-2027", "31/12/2026", "trước ngày 10/12", "từ 01/3 đến 15/4/2026"
- Định kỳ: "Hằng tháng", "Hằng quý", "Định kỳ 6 tháng", "Hằng năm", "Theo năm học", "Hằng học kỳ", "Tháng 9 hằng năm", "2026 và duy trì", "2026 và các năm tiếp theo", "Từ năm 2026"
- Có hạn trong kỳ: "trước ngày 15 hằng tháng", "trước ngày 05 tháng sau", "trước ngày 05 tháng cuối quý", "Hằng năm (trước ngày 10/12)", "Quý I (trước ngày 15/3)", "chậm nhất ngày 20 hằng tháng"
- Liên tục, không có hạn: "Thường xuyên\""""

ACCEPTED_EN = """Accepted forms (any case, "hàng" or "hằng"):
- once: "Quý II", "Quý 2/2026", "Quý I, II", "Quý I và Quý II", "Định kỳ quý I, II", "Quý II-III", "Tháng 3/2026", "Tháng 3-5/2026", "6 tháng đầu năm", "Năm 2026", "2026-2027", "Giai đoạn 2026-2030", "Năm học 2026-2027", "Năm học 2025-2026 và 2026-2027", "Học kỳ I năm học 2026-2027", "31/12/2026", "trước ngày 10/12", "từ 01/3 đến 15/4/2026"
- recurring: "Hằng tháng", "Hằng quý", "Định kỳ 6 tháng", "Hằng năm", "Theo năm học", "Hằng học kỳ", "Tháng 9 hằng năm", "2026 và duy trì", "Từ năm 2026"
- with a deadline in each period: "trước ngày 15 hằng tháng", "trước ngày 05 tháng sau", "trước ngày 05 tháng cuối quý", "Hằng năm (trước ngày 10/12)", "Quý I (trước ngày 15/3)"
- continuous, no deadline: "Thường xuyên\""""

# Phrases that name no deadline at all; the refusal says so instead of "not understood".
VAGUE = (
    "sớm", "khi có yêu cầu", "theo yêu cầu", "đột xuất", "kịp thời", "ngay", "khi cần",
    "theo chỉ đạo", "theo kế hoạch", "theo quy định", "theo tiến độ", "cuối năm", "đầu năm",
    "giữa năm", "cuối quý", "đầu quý", "cuối tháng", "đầu tháng",
)  # fmt: skip


def refuse(phrase: str, reason_vi: str, reason_en: str) -> NoReturn:
    raise TimeframeRefused(
        phrase,
        f"{reason_vi}\n{ACCEPTED_VI}",
        f"{reason_en}\n{ACCEPTED_EN}",
        reason_vi=reason_vi,
        reason_en=reason_en,
    )


def not_understood(phrase: str, segment: str, normalised: str) -> NoReturn:
    if any(_contains_word(segment, vague) for vague in VAGUE):
        refuse(
            phrase,
            f'"{segment}" không nêu một thời hạn xác định; hãy ghi thời hạn cụ thể '
            '(ví dụ "Quý II", "trước ngày 15/6/2026") hoặc "Thường xuyên".',
            f'"{segment}" names no definite deadline; write one (e.g. "Quý II", "trước ngày 15/6/2026") or "Thường xuyên".',
        )
    if segment == normalised:
        refuse(phrase, f'Không hiểu thời gian "{phrase.strip()}".', f'Timeframe not understood: "{phrase.strip()}".')
    refuse(
        phrase,
        f'Không hiểu "{segment}" trong thời gian "{phrase.strip()}".',
        f'Not understood: "{segment}" in the timeframe "{phrase.strip()}".',
    )


def _contains_word(text: str, words: str) -> bool:
    return f" {words} " in f" {text} "
