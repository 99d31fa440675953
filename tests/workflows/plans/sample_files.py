"""Realistic plan files, built at test time, in the layouts clerks actually send.

The content is seed 001 (Sở GDĐT Hải Phòng, "Kế hoạch chuyển đổi số năm 2026"): Phụ lục 1, its
22 indicators in sections I–IV, and Phụ lục 2, its 30 tasks in sections I–VII, with the line
breaks of the PDF's narrow columns kept as "\\n" (a PDF-to-Excel conversion keeps them too).
Milestone indicators (2025…2045, monitoring and reporting units) come from seed 002's Phụ lục 2,
and the "STT (theo KH48)" layout from its Phụ lục 1.

Layouts:
- ``formal_xlsx`` (a): title rows, a two-row merged header ("Đơn vị thực hiện" over "Chủ trì" |
  "Phối hợp"), a "(1) (2) …" column-number row, section rows merged across, wrapped cells, a lead
  merged down over tasks 1–6, task 17 split over two rows at a page break, the header repeated
  at the next page, a "Ghi chú" footer and a signature block;
- ``simple_xlsx`` (b): one header row of synonyms ("Nội dung nhiệm vụ", "Thời gian thực hiện"…);
- ``no_deliverable_xlsx`` (c): no "Sản phẩm" column;
- ``two_sheets_xlsx`` (d): indicators and tasks on two sheets, plus a hidden and an empty one;
- ``tasks_csv`` (e): Excel "CSV UTF-8" (BOM, comma) or ";"-separated with a two-row header;
- ``milestones_xlsx`` (f): indicators with targets per year and monitoring/reporting units;
- ``pdf_converted_xlsx`` (g): both appendices on one sheet, every printed line a row, as a
  PDF-to-Excel converter writes them.
Hostile files (zip bombs, XXE, billion laughs, oversized sheets…) are built at the end.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet


class Task(NamedTuple):
    stt: int
    section: str
    content: str
    deliverable: str
    lead: str
    coordinators: str
    timeframe: str


class Indicator(NamedTuple):
    stt: int
    section: str
    name: str
    unit: str
    target_2026: str


class Milestone(NamedTuple):
    stt: int
    section: str
    name: str
    targets: tuple[str, str, str, str, str]
    monitoring: str
    reporting: str


TASK_SECTIONS = [
    ("I", "Quản trị, điều hành và hoàn thiện thể chế chuyển đổi số trong toàn ngành"),
    ("II", "Phát triển dữ liệu số và cơ sở dữ liệu ngành; kết nối, chia sẻ dữ liệu phục vụ quản trị"),
    ("III", "Chuyển đổi số trong dạy học, kiểm tra đánh giá và quản trị cơ sở giáo dục"),
    ("IV", "Phát triển nhân lực số và nâng cao năng lực chuyển đổi số"),
    ("V", "Tài chính số và huy động nguồn lực cho chuyển đổi số"),
    ("VI", "Bảo đảm an toàn, an ninh thông tin và bảo vệ dữ liệu cá nhân"),
    ("VII", "Truyền thông và nhân rộng mô hình chuyển đổi số"),
]

_VPS = "Văn phòng Sở"
_CSGD = "Các phòng; các cơ sở\ngiáo dục"
_TX = "Thường\nxuyên"
_HQ = "Hàng\nquý"

TASKS = [
    Task(1, "I", "Tổ chức theo dõi, tổng hợp và đánh giá định kỳ\nviệc thực hiện các chỉ tiêu chuyển đổi số toàn\nngành theo Phụ lục 1",
         "Báo cáo quý;\nbáo cáo năm;\nbảng tổng hợp\nchỉ tiêu", _VPS, _CSGD, _HQ),
    Task(2, "I", "Tổ chức triển khai đánh giá mức độ chuyển đổi số\nđối với cơ sở giáo dục theo quy định; tổng hợp,\ncông bố kết quả phục vụ chỉ đạo, điều hành",
         "Báo cáo đánh\ngiá; danh sách\nmức độ CĐS", _VPS, _CSGD, "Quý I, II"),
    Task(3, "I", "Rà soát, chuẩn hóa và tái cấu trúc quy trình xử lý\nvăn bản, hồ sơ công việc trên môi trường điện tử;\nđôn đốc sử dụng thống nhất trong toàn ngành",
         "Quy trình chuẩn\nhóa; hướng dẫn\nthực hiện", _VPS, "Các phòng", _HQ),
    Task(4, "I", "Ban hành hướng dẫn kỹ thuật, quy trình khai thác\ncác nền tảng số dùng chung (eOffice, SSO, CSDL\nngành, dashboard…) và chế độ báo cáo số liệu",
         "Văn bản hướng\ndẫn; bộ biểu\nmẫu", _VPS, _CSGD, "Quý I"),
    Task(5, "I", "Tổ chức triển khai sử dụng chữ ký số trong xử lý\ncông việc; kiểm tra, đánh giá tỷ lệ sử dụng và chấn\nchỉnh kịp thời",
         "Báo cáo kết quả\ntriển khai; tỷ lệ\nsử dụng", _VPS, "Phòng TCCB; các cơ\nsở giáo dục", _HQ),
    Task(6, "I", "Hoàn thiện, vận hành hệ thống đăng nhập một lần\n(SSO) và phân quyền sử dụng các hệ thống dùng\nchung toàn ngành",
         "Hệ thống SSO\nvận hành ổn\nđịnh; tài khoản\nphân quyền", _VPS, "Đơn vị CNTT; các cơ\nsở giáo dục", "Quý IV"),
    Task(7, "II", "Tổ chức rà soát, làm sạch, chuẩn hóa dữ liệu học\nsinh, đội ngũ, cơ sở vật chất trên CSDL ngành;\nthống nhất mã định danh và cấu trúc dữ liệu",
         "Bộ dữ liệu\nchuẩn hóa; biên\nbản đối soát", _VPS, "Phòng GDMN-GDTH;\nPhòng GDTrH; Phòng\nQLCL; các cơ sở giáo\ndục", _TX),
    Task(8, "II", "Đồng bộ và xác thực dữ liệu học sinh với CSDL\nquốc gia về dân cư theo Đề án 06; tổ chức triển\nkhai các nhiệm vụ ứng dụng công nghệ thông tin,\nchuyển đổi số và thống kê giáo dục gắn với Đề án\n06 theo kế hoạch năm học; bảo đảm đồng bộ, liên\nthông dữ liệu dân cư, định danh điện tử và các cơ\nsở dữ liệu quốc gia liên quan.\n",
         "Báo cáo kết quả;\ntỷ lệ xác thực\nđạt yêu cầu", _VPS, _CSGD, _TX),
    Task(9, "II", "Kết nối, chia sẻ dữ liệu giáo dục với Kho dữ liệu\ndùng chung/IOC của thành phố theo quy định",
         "Biên bản\nnghiệm thu kết\nnối", _VPS, "Sở KH&CN; các cơ sở\ngiáo dục", _TX),
    Task(10, "II", "Xây dựng, hoàn thiện hệ thống dashboard phục vụ\nlãnh đạo Sở theo dõi, chỉ đạo điều hành",
         "Dashboard vận\nhành; bộ chỉ số", _VPS, "Các phòng", "Quý III"),
    Task(11, "II", "Tổ chức triển khai đồng bộ học bạ số đối với cơ\nsở giáo dục phổ thông và giáo dục thường xuyên;\nbảo đảm thống nhất hệ thống, chuẩn hóa dữ liệu\nvà tích hợp CSDL ngành",
         "100% GDPT,\nGDTX triển\nkhai; dữ liệu\nđồng bộ", _VPS, "Phòng GDMN-GDTH;\nPhòng GDTrH; Phòng\nGDTX, GDNN&ĐH;\ncác cơ sở giáo dục", "Quý II"),
    Task(12, "II", "Tổ chức số hóa, cập nhật sổ gốc văn bằng, chứng\nchỉ theo lộ trình",
         "CSDL văn bằng\nsố; quy trình\nchuẩn", "Phòng QLCL", "Văn phòng Sở; các cơ\nsở giáo dục", _TX),
    Task(13, "III", "Triển khai, nâng cao hiệu quả sử dụng hệ thống\nLMS đối với cấp mầm non, tiểu học",
         "100% trường\ntriển khai; báo\ncáo sử dụng", "Phòng\nGDMN-\nGDTH", "Văn phòng Sở; các cơ\nsở giáo dục", _TX),
    Task(14, "III", "Triển khai, nâng cao hiệu quả sử dụng hệ thống\nLMS đối với cấp THCS, THPT",
         "100% trường\ntriển khai; báo\ncáo sử dụng", "Phòng GDTrH", "Văn phòng Sở; các cơ\nsở giáo dục", _TX),
    Task(15, "III", "Tổ chức kiểm tra, đánh giá bằng hình thức trực\ntuyến đối với các môn học phù hợp điều kiện thực\ntế",
         "Báo cáo kết quả;\ntỷ lệ trường thực\nhiện", "Phòng GDTrH", "Phòng QLCL; các cơ\nsở giáo dục", _TX),
    Task(16, "III", "Thí điểm ứng dụng trí tuệ nhân tạo trong hỗ trợ\ndạy học và quản lý lớp học; đánh giá, rút kinh\nnghiệm",
         "Báo cáo thí\nđiểm; đề xuất\nnhân rộng", "Phòng GDTrH", "Phòng GDMN-GDTH;\nVăn phòng Sở; các cơ\nsở giáo dục", _TX),
    Task(17, "III", "Chuẩn hóa, khai thác dữ liệu thi, dữ liệu học sinh\nvà dữ liệu quản trị nhà trường (lớp học, điểm, thời\nkhóa biểu…) phục vụ phân tích chất lượng giáo\ndục và điều hành.",
         "Báo cáo phân\ntích; bộ dữ liệu\nchuẩn", "Phòng QLCL", "Phòng GDTrH; Văn\nphòng Sở; các cơ sở\ngiáo dục", "Quý II-\nIII"),
    Task(18, "III", "Xây dựng, bổ sung kho học liệu số dùng chung\ntoàn ngành; khuyến khích chia sẻ tài nguyên số",
         "Kho học liệu\ncập nhật; báo\ncáo thống kê", "Phòng GDTrH", "Phòng GDMN-GDTH;\ncác cơ sở giáo dục", _TX),
    Task(19, "IV", "Tổ chức bồi dưỡng nâng cao năng lực số cho cán\nbộ quản lý các cấp",
         "Báo cáo tập\nhuấn; danh sách\nhoàn thành", "Phòng GDTX,\nGDNN&ĐH", "Văn phòng Sở; các cơ\nsở giáo dục", _TX),
    Task(20, "IV", "Tổ chức tập huấn kỹ năng số và sử dụng nền tảng\nsố cho giáo viên theo từng cấp học",
         "Báo cáo kết quả;\ntỷ lệ tham gia", "Phòng GDTX,\nGDNN&ĐH", "Phòng GDMN-GDTH;\nPhòng GDTrH; các cơ\nsở giáo dục", _TX),
    Task(21, "IV", "Bồi dưỡng kỹ năng số, kỹ năng an toàn số cho học\nviên khối GDTX",
         "Báo cáo kết quả", "Phòng GDTX,\nGDNN&ĐH", "Các trung tâm GDTX", _TX),
    Task(22, "IV", "Rà soát, tham mưu bố trí vị trí việc làm liên quan\nCNTT, chuyển đổi số tại đơn vị",
         "Báo cáo rà soát;\nđề xuất phương\nán", "Phòng TCCB", "Văn phòng Sở; các\nphòng", _TX),
    Task(23, "V", "Hướng dẫn triển khai thanh toán không dùng tiền\nmặt trong cơ sở giáo dục",
         "Văn bản hướng\ndẫn", "Phòng KHTC", "Văn phòng Sở; các cơ\nsở giáo dục", "Quý I"),
    Task(24, "V", "Theo dõi, đánh giá tỷ lệ thanh toán không dùng\ntiền mặt toàn ngành; tham mưu giải pháp nâng cao",
         "Báo cáo quý", "Phòng KHTC", "Các cơ sở giáo dục", _HQ),
    Task(25, "V", "Hướng dẫn, thẩm định việc thuê dịch vụ CNTT\nphục vụ chuyển đổi số theo quy định",
         "Văn bản hướng\ndẫn; kết quả\nthẩm định", "Phòng KHTC", "Văn phòng Sở; các\nphòng", "Quý II"),
    Task(26, "VI", "Hoàn thiện hồ sơ xác định cấp độ an toàn hệ thống\nthông tin ngành",
         "Hồ sơ cấp độ\nđược phê duyệt", _VPS, "Đơn vị CNTT; các cơ\nsở giáo dục", "Quý III"),
    Task(27, "VI", "Tổ chức tập huấn về bảo vệ dữ liệu cá nhân và an\ntoàn thông tin trong trường học",
         "Báo cáo tập\nhuấn; tài liệu\nhướng dẫn", _VPS, "Phòng GDTX,\nGDNN&ĐH; các cơ sở\ngiáo dục", "Quý II"),
    Task(28, "VI", "Kiểm tra, giám sát công tác bảo đảm an toàn thông\ntin tại cơ sở giáo dục",
         "Biên bản kiểm\ntra; báo cáo tổng\nhợp", _VPS, "Phòng QLCL; các cơ\nsở giáo dục", "Quý III"),
    Task(29, "VI", "Tổ chức diễn tập xử lý sự cố an ninh mạng trong\nngành giáo dục",
         "Kịch bản; báo\ncáo diễn tập", _VPS, "Đơn vị CNTT; các cơ\nsở giáo dục", "Quý IV"),
    Task(30, "VII", "Tổ chức các hoạt động truyền thông, hưởng ứng\nNgày Chuyển đổi số quốc gia; tuyên truyền, nhân\nrộng mô hình, sáng kiến CĐS trong ngành",
         "Kế hoạch/hoạt\nđộng truyền\nthông; tin, bài", _VPS, _CSGD, _TX),
]  # fmt: skip

# Where the PDF's page break cut task 17 in two (its second row has no STT).
TASK_17_SPLIT = ("Chuẩn hóa, khai thác dữ liệu thi, dữ liệu học sinh\nvà dữ liệu quản trị nhà trường (lớp học, điểm, thời",
                 "khóa biểu…) phục vụ phân tích chất lượng giáo\ndục và điều hành.")  # fmt: skip

INDICATOR_SECTIONS = [
    ("I", "Thể chế và quản trị số"),
    ("II", "Hạ tầng và dữ liệu số"),
    ("III", "Phát triển nhân lực số"),
    ("IV", "Ứng dụng chuyển đổi số trong dạy học và quản trị cơ sở giáo dục"),
]

INDICATORS = [
    Indicator(1, "I", "Hồ sơ công việc xử lý trên môi trường điện tử (trừ hồ sơ mật)", "%", "100%"),
    Indicator(2, "I", "Văn bản trao đổi giữa Sở và cơ sở giáo dục dưới dạng điện tử", "%", "≥95%"),
    Indicator(3, "I", "Cán bộ quản lý, giáo viên sử dụng chữ ký số", "%", "100%"),
    Indicator(4, "I", "Cơ sở giáo dục thực hiện tự đánh giá mức độ CĐS", "%", "100%"),
    Indicator(5, "I", "Cơ sở giáo dục đạt mức độ CĐS mức 2 trở lên", "%", "≥95%"),
    Indicator(6, "I", "Quy trình nội bộ được số hóa, tái cấu trúc", "%", "≥80%"),
    Indicator(7, "II", "Hồ sơ học sinh được chuẩn hóa, đồng bộ trên CSDL ngành", "%", "100%"),
    Indicator(8, "II", "Dữ liệu học sinh được xác thực với CSDL quốc gia về dân cư", "%", "≥98%"),
    Indicator(9, "II", "Cơ sở giáo dục triển khai học bạ số", "%", "100%"),
    Indicator(10, "II", "Sổ gốc văn bằng được số hóa theo lộ trình", "%", "≥90%"),
    Indicator(11, "II", "Hệ thống thông tin được phê duyệt cấp độ an toàn thông tin", "%", "100%"),
    Indicator(12, "II", "Dữ liệu giáo dục kết nối, chia sẻ với Kho dữ liệu dùng chung thành phố", "%", "100%"),
    Indicator(13, "III", "Cán bộ quản lý được bồi dưỡng nâng cao năng lực số", "%", "100%"),
    Indicator(14, "III", "Giáo viên được tập huấn kỹ năng số", "%", "≥90%"),
    Indicator(15, "III", "Cơ sở giáo dục có cán bộ phụ trách CNTT/CĐS", "%", "100%"),
    Indicator(16, "III", "Học sinh được trang bị kỹ năng số cơ bản", "%", "≥85%"),
    Indicator(17, "III", "Đơn vị tổ chức ít nhất 01 hoạt động tuyên truyền về CĐS", "%", "100%"),
    Indicator(18, "IV", "Cơ sở giáo dục triển khai hệ thống LMS", "%", "100%"),
    Indicator(19, "IV", "Giáo viên sử dụng học liệu số trong giảng dạy", "%", "≥80%"),
    Indicator(20, "IV", "Cơ sở giáo dục tổ chức kiểm tra, đánh giá bằng hình thức trực tuyến (môn phù\nhợp)", "%", "≥50%"),
    Indicator(21, "IV", "Đơn vị thí điểm ứng dụng AI trong dạy học", "Cơ sở giáo dục", "≥300"),
    Indicator(22, "IV", "Tỷ lệ thanh toán không dùng tiền mặt trong trường học", "%", "100%"),
]

MILESTONE_YEARS = ("2025", "2030", "2035", "2040", "2045")
MILESTONE_SECTIONS = [("I", "HẠ TẦNG SỐ VÀ AN TOÀN THÔNG TIN"), ("II", "DỮ LIỆU SỐ VÀ NỀN TẢNG SỐ")]
_BCD = "BCĐ ƯDCNTT"
_CB = "Cán bộ, giáo viên,\nnhân viên"
MILESTONES = [
    Milestone(1, "I", "Tỷ lệ cơ sở giáo dục có kết nối Internet\nbăng rộng ổn định", ("≥95%", "100%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(2, "I", "Tỷ lệ phòng học được trang bị thiết bị\ndạy học số", ("≥70%", "≥90%", "≥95%", "100%", "100%"), _BCD, _CB),
    Milestone(3, "I", "Tỷ lệ hệ thống thông tin ngành được\nphê duyệt và bảo đảm ATTT theo cấp\nđộ", ("≥60%", "≥90%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(4, "I", "Tỷ lệ sự cố ATTT được phát hiện, xử\nlý kịp thời", ("≥90%", "≥95%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(5, "II", "Tỷ lệ dữ liệu học sinh và giáo viên\nđược chuẩn hóa, cập nhật đầy đủ,\nchính xác và đồng bộ", ("≥80%", "≥95%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(6, "II", "Tỷ lệ dữ liệu về cơ sở vật chất và trang\nthiết bị trường học được số hóa và\nquản lý tập trung", ("≥70%", "≥95%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(7, "II", "Tỷ lệ dữ liệu giáo dục được tích hợp\nvà chia sẻ qua nền tảng tích hợp, chia\nsẻ dữ liệu của thành phố", ("≥60%", "≥85%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(8, "II", "Tỷ lệ cơ sở dữ liệu ngành giáo dục\nđược kết nối, chia sẻ với các cơ sở dữ\nliệu quốc gia có liên quan", ("≥50%", "≥80%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(9, "II", "Tỷ lệ hồ sơ chuyên môn của cơ sở giáo\ndục được tạo lập và lưu trữ trên môi\ntrường điện tử", ("≥80%", "≥95%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(10, "II", "Tỷ lệ học sinh được cấp và quản lý học\nbạ điện tử theo quy định", ("100%", "Duy\ntrì", "Duy\ntrì", "Duy\ntrì", "Duy\ntrì"), _BCD, _CB),
    Milestone(11, "II", "Tỷ lệ văn bằng, chứng chỉ được số hóa\nvà cung cấp dịch vụ tra cứu trực tuyến", ("≥70%", "≥95%", "100%", "100%", "100%"), _BCD, _CB),
    Milestone(12, "II", "Tỷ lệ hồ sơ cấp phát văn bằng, chứng\nchỉ được xử lý trên môi trường điện tử", ("≥70%", "≥90%", "100%", "100%", "100%"), _BCD, _CB),
]  # fmt: skip

FOOTER_NOTE = (
    "Ghi chú: Thời gian “Hàng quý” được hiểu là trước ngày 20 của tháng cuối quý; "
    "các đơn vị phối hợp chủ động cung cấp số liệu cho đơn vị chủ trì."
)
SIGNATURE = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "(Đã ký)", "Uông Minh Long"]


def unwrap(text: str) -> str:
    """What a person means by a cell wrapped in the PDF: lines joined, "GDMN-\\nGDTH" glued."""
    text = re.sub(r"(?<=\S-)\n", "", text.strip())
    return re.sub(r"\s*\n\s*", " ", text)


def flat(task: Task) -> Task:
    return task._replace(
        content=unwrap(task.content), deliverable=unwrap(task.deliverable), lead=unwrap(task.lead),
        coordinators=unwrap(task.coordinators), timeframe=unwrap(task.timeframe),
    )  # fmt: skip


# -- writing helpers -----------------------------------------------------------------------
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _put(ws: Worksheet, row: int, values: Sequence[object], *, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        if value is None:
            continue
        cell = ws.cell(row=row, column=col, value=value)
        cell.alignment = _WRAP
        if bold:
            cell.font = _BOLD


def _title(ws: Worksheet, row: int, text: str, last_col: str) -> None:
    ws.cell(row=row, column=1, value=text).font = _BOLD
    ws[f"A{row}"].alignment = _CENTER
    ws.merge_cells(f"A{row}:{last_col}{row}")


def _task_values(task: Task, *, deliverable: bool = True) -> list[object]:
    values: list[object] = [task.stt, task.content]
    if deliverable:
        values.append(task.deliverable)
    return [*values, task.lead, task.coordinators, task.timeframe]


# -- (a) the formal appendix ----------------------------------------------------------------
def formal_xlsx() -> bytes:
    """Phụ lục 2 as a clerk lays it out for printing: titles, merged two-row header, footer."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục 2"
    ws["A1"], ws["D1"] = "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws.merge_cells("A1:C1")
    ws.merge_cells("D1:F1")
    _title(ws, 2, "PHỤ LỤC 2", "F")
    _title(ws, 3, "DANH MỤC NHIỆM VỤ CỤ THỂ CHUYỂN ĐỔI SỐ NĂM 2026", "F")
    _title(ws, 4, "(Kèm theo Kế hoạch số …/KH-SGDĐT ngày … tháng … năm 2026)", "F")
    row = 6
    header_rows: list[int] = []

    def header() -> None:
        nonlocal row
        _put(ws, row, ["STT", "Nhiệm vụ cụ thể", "Sản phẩm/Kết\nquả", "Đơn vị thực hiện", None, "Thời\ngian"], bold=True)
        _put(ws, row + 1, [None, None, None, "Chủ trì", "Phối hợp", None], bold=True)
        for col in "ABCF":
            ws.merge_cells(f"{col}{row}:{col}{row + 1}")
        ws.merge_cells(f"D{row}:E{row}")
        header_rows.append(row)
        row += 2

    header()
    _put(ws, row, ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"])
    row += 1
    section = ""
    lead_merge_start = None
    for task in TASKS:
        if task.stt == 10:
            header()  # the next printed page repeats the header
        if task.section != section:
            section = task.section
            title = dict(TASK_SECTIONS)[section]
            if section == "VII":  # one clerk typed the last section into a single merged cell
                _put(ws, row, [f"{section}. {title}"], bold=True)
                ws.merge_cells(f"A{row}:F{row}")
            else:
                _put(ws, row, [section, title], bold=True)
                ws.merge_cells(f"B{row}:F{row}")
            row += 1
        if task.stt == 17:
            _put(ws, row, [17, TASK_17_SPLIT[0], task.deliverable, task.lead, task.coordinators, task.timeframe])
            _put(ws, row + 1, [None, TASK_17_SPLIT[1]])
            row += 2
            continue
        values = _task_values(task)
        if 2 <= task.stt <= 6:
            values[3] = None  # under the lead merged down from task 1
        if task.stt == 1:
            lead_merge_start = row
        _put(ws, row, values)
        if task.stt == 6:
            ws.merge_cells(f"D{lead_merge_start}:D{row}")
        row += 1
    row += 1
    _put(ws, row, [FOOTER_NOTE])
    ws.merge_cells(f"A{row}:F{row}")
    row += 2
    _put(ws, row, ["Nơi nhận:", None, None, None, SIGNATURE[0]])
    for offset, text in enumerate(SIGNATURE[1:], start=1):
        _put(ws, row + offset, [None, None, None, None, text])
    _put(ws, row + 1, ["- Như trên;"])
    _put(ws, row + 2, ["- Lưu: VT, VP."])
    for col, width in zip("ABCDEF", (6, 50, 18, 14, 22, 10), strict=True):
        ws.column_dimensions[col].width = width
    return _save(wb)


# -- (b) one header row of synonyms -----------------------------------------------------------
SIMPLE_HEADER = ["STT", "Nội dung nhiệm vụ", "Sản phẩm/Kết quả", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian thực hiện"]


def _simple_rows(*, deliverable: bool = True) -> list[list[object]]:
    rows: list[list[object]] = []
    section = ""
    for task in TASKS:
        if task.section != section:
            section = task.section
            rows.append([section, dict(TASK_SECTIONS)[section]])
        rows.append(_task_values(flat(task), deliverable=deliverable))
    return rows


def simple_xlsx() -> bytes:
    """A clerk's own sheet: one header row, flat text, numbers typed as numbers."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    _put(ws, 1, list(SIMPLE_HEADER), bold=True)
    for row, values in enumerate(_simple_rows(), start=2):
        _put(ws, row, values)
    return _save(wb)


# -- (c) no deliverable column -----------------------------------------------------------------
def no_deliverable_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    _put(ws, 1, ["Danh mục nhiệm vụ năm 2026"], bold=True)
    _put(ws, 2, ["TT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời hạn"], bold=True)
    for row, values in enumerate(_simple_rows(deliverable=False), start=3):
        _put(ws, row, values)
    return _save(wb)


# -- (d) indicators and tasks on two sheets -----------------------------------------------------
def _indicator_sheet(ws: Worksheet) -> None:
    _title(ws, 1, "PHỤ LỤC 1", "D")
    _title(ws, 2, "BỘ CHỈ TIÊU CHUYỂN ĐỔI SỐ NGÀNH GIÁO DỤC VÀ ĐÀO TẠO NĂM 2026", "D")
    _put(ws, 4, ["STT", "Chỉ tiêu", "Đơn vị tính", "Mức đạt\n2026"], bold=True)
    row, section = 5, ""
    for ind in INDICATORS:
        if ind.section != section:
            section = ind.section
            _put(ws, row, [section, dict(INDICATOR_SECTIONS)[section]], bold=True)
            row += 1
        target: object = ind.target_2026
        _put(ws, row, [ind.stt, ind.name, ind.unit, target])
        if target == "100%":  # typed as a number, shown as a percentage
            ws.cell(row=row, column=4, value=1).number_format = "0%"
        row += 1


def two_sheets_xlsx() -> bytes:
    wb = Workbook()
    _indicator_sheet(wb.active)
    wb.active.title = "Phụ lục 1"
    tasks = wb.create_sheet("Phụ lục 2")
    _put(tasks, 1, list(SIMPLE_HEADER), bold=True)
    for row, values in enumerate(_simple_rows(), start=2):
        _put(tasks, row, values)
    lists = wb.create_sheet("Danh mục")
    _put(lists, 1, ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Thời gian"])
    _put(lists, 2, [1, "Bản nháp cũ", "Văn phòng Sở", "Quý I"])
    lists.sheet_state = "hidden"
    wb.create_sheet("Sheet3")
    return _save(wb)


# -- (e) CSV ------------------------------------------------------------------------------------
def tasks_csv(*, delimiter: str = ",", bom: bool = True, two_row_header: bool = False, wrapped: bool = True) -> bytes:
    """Excel's CSV export of the task table; ``wrapped`` keeps the cells' line breaks (quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["PHỤ LỤC 2 - DANH MỤC NHIỆM VỤ CỤ THỂ CHUYỂN ĐỔI SỐ NĂM 2026"])
    if two_row_header:
        writer.writerow(["STT", "Nhiệm vụ cụ thể", "Sản phẩm/Kết quả", "Đơn vị thực hiện", "", "Thời gian"])
        writer.writerow(["", "", "", "Chủ trì", "Phối hợp", ""])
    else:
        writer.writerow(SIMPLE_HEADER)
    section = ""
    for task in TASKS:
        if task.section != section:
            section = task.section
            writer.writerow([section, dict(TASK_SECTIONS)[section], "", "", "", ""])
        writer.writerow(_task_values(task if wrapped else flat(task)))
    writer.writerow([])
    writer.writerow([FOOTER_NOTE])
    text = buffer.getvalue()
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258, which composes Vietnamese letters from a base and a tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = list(unicodedata.normalize("NFD", ch))
            tone = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
            rest = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tone))
            out += (rest + "".join(tone)).encode("cp1258")
    return bytes(out)


def kh48_csv() -> bytes:
    """Seed 002's Phụ lục 1 ("STT (theo KH48)", "Đến năm 2030"), ";"-separated, wrapped cells."""
    rows = [
        ["STT (theo\nKH48)", "Chỉ tiêu", "Đơn vị\ntính", "Đến năm 2030", "Đến năm\n2045"],
        ["11.1", "Tỷ lệ sử dụng dịch vụ công trực tuyến trong lĩnh vực giáo dục", "%", "≥80%", "Duy trì,\nnâng cao"],
        ["11.2", "Tỷ lệ thủ tục hành chính đủ điều kiện trong lĩnh vực giáo dục được\ncung cấp dịch vụ công trực tuyến toàn trình", "%", "100%", "100%"],
        ["43", "Mức độ chuyển đổi số đối với các cơ sở giáo dục, cơ quan quản lý\ngiáo dục đạt mức 2 trở lên", "%", ">95%\n", "100%"],
    ]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


# -- (f) milestones -------------------------------------------------------------------------------
MONITORING_LABEL = "Đơn vị chủ trì theo dõi, hướng dẫn, đôn đốc, kiểm tra và tổng hợp kết quả thực hiện"
REPORTING_LABEL = "Đơn vị tổ chức triển khai và báo cáo kết quả thực hiện"


def milestones_xlsx(monitoring_label: str = MONITORING_LABEL) -> bytes:
    """Indicators with a target per milestone year under a merged "Mức đạt theo lộ trình"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu 2025-2045"
    _title(ws, 1, "HỆ THỐNG CHỈ TIÊU VÀ PHÂN CÔNG TRÁCH NHIỆM THỰC HIỆN", "I")
    labels = ["STT", "Chỉ tiêu", "Mức đạt theo lộ trình", None, None, None, None, monitoring_label, REPORTING_LABEL]
    _put(ws, 3, labels, bold=True)
    _put(ws, 4, [None, None, *(f"Năm\n{year}" for year in MILESTONE_YEARS)], bold=True)
    for col in "ABHI":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("C3:G3")
    row, section = 5, ""
    for m in MILESTONES:
        if m.section != section:
            section = m.section
            _put(ws, row, [section, dict(MILESTONE_SECTIONS)[section]], bold=True)
            ws.merge_cells(f"B{row}:I{row}")
            row += 1
        _put(ws, row, [m.stt, m.name, *m.targets, m.monitoring, m.reporting])
        row += 1
    return _save(wb)


# -- rewriting a package (for hostile variants) ---------------------------------------------------
def replace_members(
    xlsx: bytes, replacements: dict[str, bytes], *, extra: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()
) -> bytes:
    """``xlsx`` with some members' bytes replaced, ``extra`` members added, ``drop`` ones left out."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info.filename, replacements.get(info.filename, source.read(info)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def excel_style_xlsx(rows: list[list[object]], sheet_name: str = "Nhiệm vụ") -> bytes:
    """A package laid out as Excel itself writes one: XML declarations, shared strings."""
    strings: list[str] = []
    cells_xml = []
    for r, values in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(values):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, int):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value:
                strings.append(str(value))
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
        cells_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    escaped = [s.replace("&", "&amp;").replace("<", "&lt;") for s in strings]
    parts = {
        "[Content_Types].xml": _DECLARATION + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": _DECLARATION + (
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": _DECLARATION + (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": _DECLARATION + (
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": _DECLARATION + (
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetData>{"".join(cells_xml)}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": _DECLARATION + (
            f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{s}</t></si>" for s in escaped) + "</sst>"
        ),
        "xl/styles.xml": _DECLARATION + (
            f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Times New Roman"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="1"><xf xfId="0"/></cellXfs></styleSheet>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, text in parts.items():
            target.writestr(name, text.encode())
    return buffer.getvalue()


def minimal_xlsx() -> bytes:
    """A small valid workbook as Excel writes it: the base of the hostile variants."""
    return excel_style_xlsx([
        ["STT", "Nhiệm vụ cụ thể", "Đơn vị chủ trì", "Thời gian"],
        [1, "Tổ chức tập huấn kỹ năng số cho giáo viên", "Văn phòng Sở", "Quý I"],
    ])  # fmt: skip


# -- hostile files -----------------------------------------------------------------------------
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def zip_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    """A workbook whose sheet1.xml is ``size`` bytes of zeros, deflated (~1000:1)."""
    base = zipfile.ZipFile(io.BytesIO(minimal_xlsx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in base.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, base.read(info))
                continue
            member = zipfile.ZipInfo(info.filename)
            member.compress_type = zipfile.ZIP_DEFLATED
            with target.open(member, "w", force_zip64=True) as out:
                chunk = bytes(1 << 20)
                for _ in range(size >> 20):
                    out.write(chunk)
    return buffer.getvalue()


def _patch_directory(data: bytes, member: str, patch: dict[int, bytes]) -> bytes:
    """Overwrite fields of ``member``'s local header and central directory entry.

    ``patch`` maps a central-directory offset (8: flags, 24: uncompressed size) to new bytes;
    the local header's matching field sits 2 bytes earlier.
    """
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    name = member.encode()
    central = out.find(b"PK\x01\x02")
    while central != -1:
        length = int.from_bytes(out[central + 28 : central + 30], "little")
        if out[central + 46 : central + 46 + length] == name:
            break
        central = out.find(b"PK\x01\x02", central + 4)
    for offset, value in patch.items():
        out[central + offset : central + offset + len(value)] = value
        local = info.header_offset + offset - 2
        out[local : local + len(value)] = value
    return bytes(out)


def lying_sizes() -> bytes:
    """A member of 50 MB of zeros whose headers claim 1 kB: zipfile stops there (CRC error)."""
    base = zipfile.ZipFile(io.BytesIO(minimal_xlsx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in base.infolist():
            data = base.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data + bytes(50 * 1024 * 1024)
            target.writestr(info.filename, data)
    return _patch_directory(buffer.getvalue(), "xl/sharedStrings.xml", {24: (1024).to_bytes(4, "little")})


def encrypted_member() -> bytes:
    """A workbook whose sheet1.xml is flagged as ZIP-encrypted (traditional PKWARE)."""
    return _patch_directory(minimal_xlsx(), "xl/worksheets/sheet1.xml", {8: b"\x01\x00"})


def _member(xlsx: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(xlsx)).read(name)


def xxe_in_shared_strings() -> bytes:
    xlsx = minimal_xlsx()
    strings = _member(xlsx, "xl/sharedStrings.xml")
    declaration, _, rest = strings.partition(b"?>")
    dtd = b'\r\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rest = rest.replace(b"<si><t>STT</t></si>", b"<si><t>&xxe;</t></si>", 1)
    return replace_members(xlsx, {"xl/sharedStrings.xml": declaration + b"?>" + dtd + rest})


def xxe_in_sheet() -> bytes:
    xlsx = minimal_xlsx()
    sheet = _member(xlsx, "xl/worksheets/sheet1.xml")
    declaration, _, rest = sheet.partition(b"?>")
    dtd = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/leak">]>'
    rest = rest.replace(b"</sheetData>", b'<row r="9"><c r="A9" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData>')
    return replace_members(xlsx, {"xl/worksheets/sheet1.xml": declaration + b"?>" + dtd + rest})


def billion_laughs_in_workbook() -> bytes:
    xlsx = minimal_xlsx()
    workbook = _member(xlsx, "xl/workbook.xml")
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b"<!ENTITY lol%d \"%s\">" % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    declaration, _, rest = workbook.partition(b"?>")
    rest = rest.replace(b'name="', b'name="&lol9;', 1)
    return replace_members(xlsx, {"xl/workbook.xml": declaration + b"?><!DOCTYPE workbook [" + entities + b"]>" + rest})


def utf16_sheet_with_doctype() -> bytes:
    """The DOCTYPE hidden from a byte search by re-encoding the sheet as UTF-16."""
    xlsx = minimal_xlsx()
    sheet = _member(xlsx, "xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace("UTF-8", "UTF-16").replace("?>", '?><!DOCTYPE x [<!ENTITY a "b">]>', 1)
    return replace_members(xlsx, {"xl/worksheets/sheet1.xml": sheet.encode("utf-16")})


def ebcdic_sheet() -> bytes:
    xlsx = minimal_xlsx()
    body = b'<?xml version="1.0" encoding="cp037"?>' + '<!DOCTYPE x [<!ENTITY a "b">]><x/>'.encode("cp037")
    return replace_members(xlsx, {"xl/worksheets/sheet1.xml": body})


def xxe_in_odd_part() -> bytes:
    """A DTD in a part openpyxl might never open still refuses the file."""
    return replace_members(minimal_xlsx(), {}, extra={"customXml/item1.xml": b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>'})


def _sheet_with(rows_xml: bytes, merges_xml: bytes = b"") -> bytes:
    xlsx = minimal_xlsx()
    sheet = _member(xlsx, "xl/worksheets/sheet1.xml")
    start, end = sheet.index(b"<sheetData>") + len(b"<sheetData>"), sheet.index(b"</sheetData>")
    sheet = sheet[:start] + rows_xml + sheet[end:]
    if merges_xml:
        sheet = sheet.replace(b"</sheetData>", b"</sheetData>" + merges_xml, 1)
    return replace_members(xlsx, {"xl/worksheets/sheet1.xml": sheet})


def _inline_row(r: int, col: str = "A", text: str = "x") -> bytes:
    return f'<row r="{r}"><c r="{col}{r}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()


def too_many_rows(rows: int = 20_001) -> bytes:
    return _sheet_with(b"".join(_inline_row(r) for r in range(1, rows + 1)))


def far_row() -> bytes:
    """One cell at Excel's last row: read naively it is a million empty rows."""
    return _sheet_with(_inline_row(1) + _inline_row(1_048_576))


def far_column() -> bytes:
    return _sheet_with(_inline_row(1) + _inline_row(2, "XFD"))


def merge_bomb() -> bytes:
    """A merged range over the whole sheet (openpyxl's full mode would create 17 billion cells)."""
    return _sheet_with(_inline_row(1), b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')


def too_many_members(count: int = 1001) -> bytes:
    return replace_members(minimal_xlsx(), {}, extra={f"xl/media/pad{i}.bin": b"" for i in range(count)})


def encrypted_ole() -> bytes:
    """What Excel writes for a password-protected workbook: OLE with an EncryptedPackage stream."""
    return OLE_MAGIC + bytes(504) + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le") + bytes(512)


def legacy_xls() -> bytes:
    return OLE_MAGIC + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1024)


def word_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        target.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        target.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def ods() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        target.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        target.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def xlsb() -> bytes:
    types = b'<Types><Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'
    return replace_members(minimal_xlsx(), {"[Content_Types].xml": types})


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(13) + b"IHDR" + bytes(200)


# -- (g) a PDF converted to Excel ----------------------------------------------------------------
def _lines(text: str) -> list[str]:
    return text.split("\n")


def pdf_converted_xlsx() -> bytes:
    """Both appendices on one sheet, as a PDF-to-Excel converter writes them: every printed
    line is a row, header labels wrapped over two rows, the header repeated on each page
    (also between task 17 and its tail), and no merged cells at all."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Table 1"
    rows: list[list[object]] = [
        ["Phụ lục 1"],
        ["BỘ CHỈ TIÊU CHUYỂN ĐỔI SỐ NGÀNH GIÁO DỤC VÀ ĐÀO TẠO NĂM 2026"],
        ["(Kèm theo Kế hoạch số …/KH-SGDĐT ngày … tháng … năm 2026 của Sở Giáo dục và Đào tạo)"],
    ]
    indicator_header: list[list[object]] = [["STT", "Chỉ tiêu", "Đơn vị tính", "Mức đạt"], [None, None, None, "2026"]]
    rows += indicator_header
    section = ""
    for ind in INDICATORS:
        if ind.stt == 13:
            rows += indicator_header
        if ind.section != section:
            section = ind.section
            rows.append([section, dict(INDICATOR_SECTIONS)[section]])
        first, *more = _lines(ind.name)
        rows.append([ind.stt, first, ind.unit, ind.target_2026])
        rows += [[None, line] for line in more]  # the name's wrapped lines
    rows += [[], ["PHỤ LỤC 2"], ["DANH MỤC NHIỆM VỤ CỤ THỂ CHUYỂN ĐỔI SỐ NĂM 2026"],
             ["(Kèm theo Kế hoạch số …/KH-SGDĐT ngày … tháng … năm 2026)"]]  # fmt: skip
    task_header: list[list[object]] = [
        ["STT", "Nhiệm vụ cụ thể", "Sản phẩm/Kết", "Đơn vị chủ", "Đơn vị phối hợp", "Thời"],
        [None, None, "quả", "trì", None, "gian"],
    ]
    rows += task_header
    section = ""
    for task in TASKS:
        if task.stt in (6, 11, 25):
            rows += task_header
        if task.section != section:
            section = task.section
            rows.append([section, dict(TASK_SECTIONS)[section]])
        columns = [[str(task.stt)], *(_lines(v) for v in task[2:])]
        if task.stt == 17:
            columns[1] = _lines(TASK_17_SPLIT[0])
        depth = max(len(c) for c in columns)
        for i in range(depth):
            rows.append([c[i] if i < len(c) and c[i] else None for c in columns])
        if task.stt == 17:
            rows += task_header
            rows += [[None, line] for line in _lines(TASK_17_SPLIT[1])]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=int(value) if isinstance(value, str) and value.isdigit() else value)
    return _save(wb)
