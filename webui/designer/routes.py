"""Views of the designer and of the processes' versions; every one calls
``workflows.actions.processes``, which authorizes (and records refusals) before anything else.

The modeler's "Kiểm tra" and "Triển khai" post the diagram's XML as the request body (not a
form), with the page's CSRF token in ``X-CSRFToken`` (Flask-WTF checks it as for any POST), and
get JSON: the problems with their element ids, or where to go after a deploy.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from engine import BadData, DeployError, InvalidState, NotFound, render
from webui.edge import work
from webui.errors.handlers import page
from webui.i18n import language
from workflows.actions import processes as actions
from workflows.authz.actions import ProcessAction

bp = Blueprint("designer", __name__)

MAX_MODEL_BYTES = 5 * 1024 * 1024  # the engine's own limit on a BPMN file


def _json_wanted() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path.startswith(("/designer/validate", "/designer/deploy"))


@bp.errorhandler(actions.NotAllowed)
def _refused(exc: actions.NotAllowed) -> Any:
    # A response, not a rollback: the refusal recorded by the action layer is committed.
    if _json_wanted():
        return jsonify({"message": exc.message(language())}), 403
    return page(403, _("Không có quyền truy cập"), exc.message(language()))


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Any:
    return page(404, _("Không tìm thấy trang"), exc.message(language()))


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    def can_read_processes() -> bool:
        """For the main navigation: from the person's profile, no query (the pages ask the rules)."""
        if not current_user.is_authenticated:
            return False
        return actions.in_menu(current_user.profile.roles, current_user.profile.unit_kind)

    return {"can_read_processes": can_read_processes}


def _me() -> Any:
    uow = work()
    return uow, actions.acting_user(uow.session, current_user.identity.user_id)


# --- /processes ---------------------------------------------------------------------------------


@bp.get("/processes")
def processes() -> str:
    uow, me = _me()
    found = actions.processes(uow, me)
    return render_template("processes/index.html", processes=found, library=actions.library_keys(),
                           can_design=actions.may(uow.session, me, uow.now, ProcessAction.DESIGN),
                           can_migrate=actions.may(uow.session, me, uow.now, ProcessAction.MIGRATE))  # fmt: skip


@bp.get("/processes/<key>/<int:version>.bpmn")
def xml(key: str, version: int) -> Response:
    uow, me = _me()
    return Response(actions.version_xml(uow, me, key, version), mimetype="application/xml")


@bp.get("/processes/<key>/diff")
def diff(key: str) -> Any:
    uow, me = _me()
    versions = _versions(uow, me, key)
    numbers = [v.version for v in versions]
    old = request.args.get("from", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    new = request.args.get("to", type=int) or numbers[0]
    if old not in numbers or new not in numbers:
        abort(404)
    return render_template("processes/diff.html", key=key, versions=versions, old=old, new=new)


def _versions(uow: Any, me: Any, key: str) -> tuple[actions.ProcessVersion, ...]:
    for summary in actions.processes(uow, me):
        if summary.key == key:
            return summary.versions
    raise NotFound("definition_not_found", key=key)


@bp.route("/processes/<key>/migrate", methods=["GET", "POST"])
def migrate(key: str) -> Any:
    uow, me = _me()
    actions.check(uow, me, ProcessAction.MIGRATE)
    versions = _versions(uow, me, key)
    numbers = [v.version for v in versions]
    source = request.values.get("from", type=int)
    target = request.values.get("to", type=int) or numbers[0]
    if source is None:
        source = next((v.version for v in versions if v.running and v.version != target), target)
    if source not in numbers or target not in numbers:
        abort(404)
    if request.method == "POST":
        chosen = [uuid.UUID(value) for value in request.form.getlist("instance") if _is_uuid(value)]
        try:
            result = actions.migrate(uow, me, key, source, target, dry_run=False, instance_ids=chosen or None)
        except InvalidState as exc:
            flash(exc.message(language()), "error")
            return redirect(url_for("designer.migrate", key=key, **{"from": source, "to": target}), 303)
        flash(ngettext("Đã chuyển %(num)d hồ sơ sang phiên bản %(to)s.", "Đã chuyển %(num)d hồ sơ sang phiên bản %(to)s.",
                       len(result.moved), to=target), "success")  # fmt: skip
        return redirect(url_for("designer.migrate", key=key, **{"from": source, "to": target}), 303)
    plan = None
    if source != target:
        plan = actions.migrate(uow, me, key, source, target, dry_run=True).plan
    return render_template("processes/migrate.html", key=key, versions=versions, source=source, target=target, plan=plan,
                           lang=language(), render_message=render)  # fmt: skip


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- /designer ------------------------------------------------------------------------------------


@bp.get("/designer")
def new() -> str:
    uow, me = _me()
    library = actions.library_keys()
    chosen = request.args.get("from") or library[0]
    actions.library_xml(uow, me, chosen)  # authorizes; 404 for a name the library lacks
    return render_template("designer/edit.html", source=url_for("designer.library", key=chosen), library=library, chosen=chosen,
                           key=None, version=None)  # fmt: skip


@bp.get("/designer/library/<key>.bpmn")
def library(key: str) -> Response:
    uow, me = _me()
    return Response(actions.library_xml(uow, me, key), mimetype="application/xml")


@bp.get("/designer/<key>/<int:version>")
def edit(key: str, version: int) -> str:
    uow, me = _me()
    actions.check(uow, me, ProcessAction.DESIGN)
    actions.version_xml(uow, me, key, version)  # 404 for a version that does not exist
    return render_template("designer/edit.html", source=url_for("designer.xml", key=key, version=version),
                           library=actions.library_keys(), chosen=None, key=key, version=version)  # fmt: skip


def _body() -> bytes:
    if request.content_length is not None and request.content_length > MAX_MODEL_BYTES:
        abort(413)
    return request.get_data(cache=False)


@bp.post("/designer/validate")
def validate() -> Any:
    uow, me = _me()
    return jsonify(actions.validate(uow, me, _body()).as_dict(language()))


@bp.post("/designer/deploy")
def deploy() -> Any:
    uow, me = _me()
    try:
        deployed = actions.deploy_model(uow, me, _body())
    except DeployError as refused:  # the engine stores nothing before its checks pass
        return jsonify({"ok": False, "problems": [p.as_dict(language()) for p in refused.problems]}), 422
    except BadData as refused:  # too large, not XML
        return jsonify({"ok": False, "problems": [{"code": refused.code, "element_id": None, "message": refused.message(language())}]}), 422
    for each in deployed:
        if each.created:
            flash(_("Đã triển khai %(key)s phiên bản %(version)s.", key=each.key, version=each.version), "success")
        else:
            flash(_("%(key)s không thay đổi: phiên bản %(version)s vẫn là mới nhất.", key=each.key, version=each.version), "success")
    return jsonify({"ok": True, "deployed": [{"key": d.key, "version": d.version, "created": d.created} for d in deployed],
                    "redirect": url_for("designer.processes")})  # fmt: skip
