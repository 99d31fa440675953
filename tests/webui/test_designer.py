"""The designer and the processes' pages through Flask's test client, on both databases: who may
read, design, deploy and migrate (403s recorded), validation with element ids (the same as
deploy's), deploy as a new version, versions listed with who deployed them and their instances,
the diff page, and migration: a dry run, then for real, audited."""

from __future__ import annotations

from sqlalchemy import select

from engine import AuditEvent, HumanTask, Instance, ProcessDefinition, complete_task
from tests.fixtures.webapp import csrf_token, login
from tests.webui.designer_models import V1, V2, with_lane_role, without_step
from tests.workflows.authz.world import open_task


def as_user(web, username):
    client = web.test_client()
    assert login(client, username).status_code == 302
    return client


def post_xml(client, path, xml):
    token = csrf_token(client, "/processes" if path != "/designer/validate" else "/")
    return client.post(path, data=xml, headers={"X-CSRFToken": token, "Content-Type": "application/xml", "Accept": "application/json"})


def events(pe, name):
    with pe.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)))


def versions(pe):
    with pe.read() as s:
        return s.execute(select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.deployed_by)
                         .order_by(ProcessDefinition.key, ProcessDefinition.version)).all()  # fmt: skip


def test_only_the_so_and_its_phong_design_an_inspector_reads(web, pe, world):
    school = as_user(web, "s1_cv")
    for path in ("/processes", "/designer", "/designer/giao_nhiem_vu/1", "/processes/giao_nhiem_vu/diff",
                 "/processes/giao_nhiem_vu/migrate", "/processes/giao_nhiem_vu/1.bpmn"):  # fmt: skip
        response = school.get(path)
        assert response.status_code == 403, path
        assert "Bạn không có quyền" in response.get_data(as_text=True)
    refused = post_xml(school, "/designer/deploy", V2)
    assert refused.status_code == 403 and "Bạn không có quyền triển khai quy trình" in refused.get_json()["message"]
    assert 'href="/processes"' not in school.get("/inbox").get_data(as_text=True)  # no nav link for them
    assert 'href="/processes"' not in as_user(web, "x_cv").get("/inbox").get_data(as_text=True)  # a commune neither
    assert 'href="/processes"' in as_user(web, "so_cv").get("/inbox").get_data(as_text=True)

    inspector = as_user(web, "so_tt")
    assert inspector.get("/processes").status_code == 200
    assert 'href="/processes"' in inspector.get("/inbox").get_data(as_text=True)
    assert inspector.get("/processes/giao_nhiem_vu/1.bpmn").data == V1
    assert inspector.get("/designer").status_code == 403
    denied = post_xml(inspector, "/designer/deploy", V2)
    assert denied.status_code == 403 and "thanh tra chỉ được xem" in denied.get_json()["message"]
    assert inspector.get("/processes/giao_nhiem_vu/migrate").status_code == 403
    assert versions(pe) == [("giao_nhiem_vu", 1, "tester"), ("xa_phuong_trien_khai", 1, "tester")]

    audited = [(e.actor, e.data["action"]) for e in events(pe, "action_refused")]
    assert ("s1_cv", "read_processes") in audited and ("s1_cv", "deploy_process") in audited
    assert ("so_tt", "design_process") in audited and ("so_tt", "deploy_process") in audited and ("so_tt", "migrate_instances") in audited

    for username in ("so_ld", "so_cv", "p_ld", "p_cv", "so_qt"):
        client = as_user(web, username)
        assert client.get("/designer").status_code == 200, username
        assert 'href="/processes"' in client.get("/processes").get_data(as_text=True)
    assert as_user(web, "p_vt").get("/designer").status_code == 403  # a clerk reads, does not design
    assert as_user(web, "p_vt").get("/processes").status_code == 200


def test_validation_names_each_problem_by_its_element(web, pe, world):
    client = as_user(web, "p_cv")
    ok = post_xml(client, "/designer/validate", V2)
    assert ok.status_code == 200 and ok.get_json() == {"ok": True, "keys": ["giao_nhiem_vu"], "problems": [], "warnings": []}

    # Elements the engine does not run, a lane role nobody holds, a bad deadline rule.
    broken = with_lane_role(V1, "principal").replace(b'<bpmn:userTask id="ky_duyet"', b'<bpmn:sendTask id="ky_duyet"', 1)
    broken = broken.replace(b"</bpmn:userTask>\n    <bpmn:endEvent id=\"hoan_thanh\"", b"</bpmn:sendTask>\n    <bpmn:endEvent id=\"hoan_thanh\"", 1)
    answer = post_xml(client, "/designer/validate", broken).get_json()
    assert answer["ok"] is False
    found = {(p["element_id"], p["code"]) for p in answer["problems"]}
    assert ("ky_duyet", "bpmn_unsupported_element") in found
    assert ("lane_chuyen_vien", "bpmn_lane_rule_unknown") in found
    [lane] = [p for p in answer["problems"] if p["element_id"] == "lane_chuyen_vien"]
    assert "principal" in lane["message"] and "leader" in lane["message"]

    # Deploy refuses the same model for the same reasons, and stores nothing.
    refused = post_xml(client, "/designer/deploy", broken)
    assert refused.status_code == 422
    assert {(p["element_id"], p["code"]) for p in refused.get_json()["problems"]} == found
    assert len(versions(pe)) == 2

    garbage = post_xml(client, "/designer/validate", b"<not-bpmn")
    assert garbage.status_code == 200 and garbage.get_json()["ok"] is False

    no_token = client.post("/designer/validate", data=V2, headers={"Content-Type": "application/xml"})
    assert no_token.status_code == 400  # CSRF


def test_deploy_lists_the_new_version_with_who_and_instances(web, pe, world):
    client = as_user(web, "p_cv")
    deployed = post_xml(client, "/designer/deploy", V2)
    assert deployed.status_code == 200
    assert deployed.get_json() == {"ok": True, "deployed": [{"key": "giao_nhiem_vu", "version": 2, "created": True}], "redirect": "/processes"}
    assert ("giao_nhiem_vu", 2, "p_cv") in versions(pe)
    [event] = events(pe, "definition_deployed")[-1:]
    assert (event.actor, event.subject) == ("p_cv", "giao_nhiem_vu v2")

    html = client.get("/processes").get_data(as_text=True)
    assert "Đã triển khai giao_nhiem_vu phiên bản 2." in html
    row_v1 = html.split('data-version="1"')[1].split("</tr>")[0]
    assert "tester" in row_v1 and ">3<" in row_v1  # three instances run on v1 (TH1, TH2, THPT1)
    row_v2 = html.split('data-version="2"')[1].split("</tr>")[0]
    assert "p_cv" in row_v2 and 'href="/designer/giao_nhiem_vu/2"' in row_v2
    assert 'href="/processes/giao_nhiem_vu/diff?from=1&amp;to=2"' in html
    assert post_xml(client, "/designer/deploy", V2).get_json()["deployed"][0]["created"] is False  # same XML: no-op

    page = client.get("/designer/giao_nhiem_vu/2").get_data(as_text=True)
    assert 'data-src="/processes/giao_nhiem_vu/2.bpmn"' in page and "Kiểm tra" in page and "Triển khai" in page
    assert "<script>" not in page
    assert client.get("/processes/giao_nhiem_vu/2.bpmn").data == V2
    diff = client.get("/processes/giao_nhiem_vu/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-from-src="/processes/giao_nhiem_vu/1.bpmn"' in diff and 'data-to-src="/processes/giao_nhiem_vu/2.bpmn"' in diff
    assert client.get("/processes/giao_nhiem_vu/diff?from=1&to=9").status_code == 404
    assert client.get("/designer/giao_nhiem_vu/9").status_code == 404
    assert client.get("/designer?from=../../etc/passwd").status_code == 404


def _running(pe):
    with pe.read() as s:
        return dict(s.execute(select(Instance.unit_code, ProcessDefinition.version).join(ProcessDefinition)
                              .where(Instance.process_key == "giao_nhiem_vu", Instance.status == "running")).all())  # fmt: skip


def test_migrate_dry_run_then_for_real(web, pe, world):
    # TH1 accepted its task: it waits at thuc_hien, which v2 no longer has; TH2 and THPT1 wait at tiep_nhan.
    with pe.unit_of_work("s1_cv") as uow:
        complete_task(uow, open_task(pe, world.th1, "tiep_nhan"), {})
    client = as_user(web, "so_ld")
    assert post_xml(client, "/designer/deploy", without_step(V2)).status_code == 200

    dry = client.get("/processes/giao_nhiem_vu/migrate?from=1&to=2").get_data(as_text=True)
    movable, blocked = dry.split('id="movable"')[1].split("</table>")[0], dry.split('id="blocked"')[1].split("</table>")[0]
    assert str(world.th2) in movable and str(world.thpt) in movable and str(world.th1) not in movable
    assert str(world.th1) in blocked and "Bước đang chờ «Thực hiện và dự thảo báo cáo» (thuc_hien) không có trong phiên bản mới." in blocked
    assert _running(pe) == {"T.X1.TH1": 1, "T.X1.TH2": 1, "T.THPT1": 1}  # the dry run changed nothing
    assert events(pe, "instances_migrated") == []

    token = csrf_token(client, "/processes")
    moved = client.post("/processes/giao_nhiem_vu/migrate", data={"csrf_token": token, "from": "1", "to": "2"})
    assert moved.status_code == 303
    assert _running(pe) == {"T.X1.TH1": 1, "T.X1.TH2": 2, "T.THPT1": 2}
    after = client.get(moved.location).get_data(as_text=True)
    assert "Đã chuyển 2 hồ sơ sang phiên bản 2." in after and "Chuyển được: 0 hồ sơ" in after
    [audit] = events(pe, "instances_migrated")
    assert (audit.actor, audit.data["moved"], audit.data["blocked"]) == ("so_ld", 2, 1)
    assert {e.instance_id for e in events(pe, "instance_version_moved")} == {world.th2, world.thpt}

    # The moved step is the same task, now in the inbox of the role v2's lane names (leader).
    with pe.read() as s:
        task = s.scalars(select(HumanTask).where(HumanTask.instance_id == world.th2, HumanTask.status == "open")).one()
    assert (task.element_id, task.candidate_role, task.candidate_unit) == ("tiep_nhan", "leader", "T.X1.TH2")
    with pe.unit_of_work("s2_ld") as uow:
        complete_task(uow, task.id, {})
    with pe.read() as s:
        assert s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == world.th2, HumanTask.status == "open")).one() == "thuc_hien_moi"

    html = client.get("/processes").get_data(as_text=True)
    assert ">1<" in html.split('data-version="1"')[1].split("</tr>")[0]


def test_migrate_refuses_the_same_version_and_unknown_ones(web, pe, world):
    client = as_user(web, "so_qt")
    assert client.get("/processes/giao_nhiem_vu/migrate?from=1&to=1").status_code == 200
    assert client.get("/processes/giao_nhiem_vu/migrate?from=1&to=5").status_code == 404
    assert client.get("/processes/khong_co/migrate").status_code == 404
    assert len(versions(pe)) == 2  # nothing deployed
