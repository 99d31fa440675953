"""Which actions each step of the process library takes: the one table the rules and the action
layer share (step id → actions), so that a button shown by ``allowed_actions`` is exactly an
action the action layer will carry out.

Who may take them is not here: a step is done by its lane's role in its lane's unit (the human
task row's ``candidate_role`` and ``candidate_unit``), see ``workflows.authz.rules``.
``completing`` actions end the step (the action layer completes the human task with that
decision); ``keeping`` actions work on the open step and leave it open (a draft saved on the way).

Keyed by step id, like ``workflows.tracking.follow``: a department's own version of a process is
served the same way as long as it keeps these ids. A step missing here takes no action but view,
comment and reassign (the administrator's repair tool is the way out).
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.authz.actions import TaskAction

A = TaskAction


@dataclass(frozen=True)
class StepActions:
    completing: tuple[TaskAction, ...]
    keeping: tuple[TaskAction, ...] = ()

    @property
    def all(self) -> tuple[TaskAction, ...]:
        return self.completing + self.keeping


STEP_ACTIONS: dict[str, StepActions] = {
    "tiep_nhan": StepActions((A.ACCEPT,)),
    "thuc_hien": StepActions((A.SUBMIT, A.REQUEST_EXTENSION), (A.SAVE_DRAFT,)),
    "tong_hop_bao_cao": StepActions((A.SUBMIT,), (A.SAVE_DRAFT,)),  # a commune's consolidated report
    "giao_cho_truong": StepActions((A.SUBMIT,)),  # a commune hands the task to its schools
    "theo_doi_cac_truong": StepActions((A.SUBMIT,)),  # following its schools, closed by hand
    "tong_hop_truc_thuoc": StepActions((A.SUBMIT,)),  # a periodic report's units below, closed by hand
    "duyet_bao_cao": StepActions((A.APPROVE, A.RETURN)),  # the unit's leader
    "tham_dinh_bao_cao": StepActions((A.APPROVE, A.RETURN, A.GRANT_EXTENSION)),  # the assigning unit
    "xem_xet_gia_han": StepActions((A.GRANT_EXTENSION, A.REFUSE_EXTENSION)),
    "ky_duyet": StepActions((A.SIGN,)),
}

# Only these processes have an extension path (``de_nghi_gia_han`` out of ``thuc_hien``,
# ``quyet_dinh == "gia_han"`` out of the review); elsewhere the extension buttons would not work.
EXTENSION_PROCESSES = frozenset({"giao_nhiem_vu"})
EXTENSION_ACTIONS = frozenset({A.REQUEST_EXTENSION, A.GRANT_EXTENSION, A.REFUSE_EXTENSION})


def actions_at(process_key: str, step: str) -> tuple[TaskAction, ...]:
    """The actions a step takes in that process (completing ones first), in the table's order."""
    found = STEP_ACTIONS.get(step)
    if found is None:
        return ()
    if process_key in EXTENSION_PROCESSES:
        return found.all
    return tuple(a for a in found.all if a not in EXTENSION_ACTIONS)


def completes(step: str, action: TaskAction) -> bool:
    """Whether ``action`` ends ``step`` (the human task is completed) rather than keeping it open."""
    found = STEP_ACTIONS.get(step)
    return found is not None and action in found.completing
