"""The home page, the user guide per role, the language switch and the catalog behind it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.fixtures.webapp import login
from tests.workflows.accounts.people import LOGINS, OFFICER
from workflows.roles import ROLE_NAMES

WEBUI = Path(__file__).resolve().parents[2] / "webui"
CATALOG = WEBUI / "translations" / "en" / "LC_MESSAGES"


@pytest.mark.parametrize(("role", "title"), [("leader", "Lãnh đạo đơn vị"), ("officer", "Chuyên viên"), ("clerk", "Văn thư"),
                                             ("admin", "Quản trị hệ thống"), ("inspector", "Thanh tra")])  # fmt: skip
def test_each_role_has_a_short_guide_in_vietnamese(client, role, title):
    login(client, OFFICER)
    page = client.get(f"/help/{role}").get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    body = re.sub(r"<[^>]+>", " ", page.split('<article class="card guide" lang="vi">')[1].split("</article>")[0])
    assert 80 <= len(body.split()) <= 400  # short: a page, not a manual
    for other in ROLE_NAMES:
        assert f'href="/help/{other}"' in page  # every guide links to the others


def test_the_guide_index_marks_the_persons_own_roles(client):
    login(client, LOGINS["inspector"])
    page = client.get("/help").get_data(as_text=True)
    assert '<a href="/help/inspector">Thanh tra</a> <span class="tag">vai trò của bạn</span>' in page
    assert '<a href="/help/leader">Lãnh đạo</a></li>' in page


def test_every_page_links_to_the_guide(client):
    assert 'href="/help"' in client.get("/login").get_data(as_text=True)
    login(client, OFFICER)
    for path in ("/", "/help", "/help/clerk", "/khong-co"):
        assert 'href="/help"' in client.get(path).get_data(as_text=True), path


def test_the_home_page_links_the_guides_of_the_persons_roles(client):
    login(client, LOGINS["admin"])
    page = client.get("/").get_data(as_text=True)
    assert "Quản trị Văn phòng" in page and "Văn phòng Sở" in page
    assert '<a href="/help/admin">Hướng dẫn cho vai trò Quản trị</a>' in page
    assert 'href="/help/leader"' not in page


def test_english_is_the_second_language(client):
    login(client, OFFICER)
    response = client.get("/lang/en?next=/")
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Hello, Chuyên viên Trường THCS Hồng Bàng" in page
    assert '<span class="tag">Officer</span>' in page and "Logged in at" in page
    assert "02/03/2026 08:00" in page  # dates stay dd/mm/yyyy in Hà Nội time
    assert 'href="/lang/vi?next=/"' in page and "Tiếng Việt" in page
    assert "Xin chào" in client.get("/lang/vi?next=/", follow_redirects=True).get_data(as_text=True)


def test_the_language_switch_goes_back_only_to_this_site(client):
    assert client.get("/lang/en?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/lang/xx").status_code == 404


def test_the_browser_language_does_not_override_vietnamese(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng nhập" in page


def test_every_message_of_the_pages_has_an_english_translation_and_the_compiled_catalog_is_current():
    with (CATALOG / "messages.po").open("rb") as handle:
        po = read_po(handle)
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}
    found = {m[2] if isinstance(m[2], str) else m[2][0] for m in extract_from_dir(str(WEBUI), method_map, keywords=keywords)}
    translated = {_key(m.id): _text(m.string) for m in po if m.id}
    assert found - set(translated) == set(), "run pybabel extract/update (webui/babel.cfg) and translate"
    assert [k for k, v in translated.items() if not all(v)] == []
    with (CATALOG / "messages.mo").open("rb") as handle:
        mo = read_mo(handle)
    compiled = {_key(m.id): _text(m.string) for m in mo if m.id}
    assert compiled == translated, "run pybabel compile -d webui/translations"


def _key(msgid):
    return msgid if isinstance(msgid, str) else msgid[0]


def _text(string):
    return (string,) if isinstance(string, str) else tuple(string)
