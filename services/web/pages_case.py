"""A case's page: its parties, money, deadlines and files, and a form for each open transition."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.cases.finances import finances
from services.entry import fire_transition
from services.errors import NotFound, ServiceError
from services.numbers import whole_number
from services.organisations import list_organisations
from services.policy import allows, declared
from services.web import diagram
from services.web.i18n import words
from services.web.rendering import (
    LangDep,
    SessionDep,
    checked_form,
    local_time,
    money,
    not_found,
    render,
    services_of,
    time_left,
)
from services.web.sessions import BrowserSession
from workflow.access import Action, Subject
from workflow.amendments import amendment_rules
from workflow.engine import TransitionRefused
from workflow.lifecycle import InvalidInputs, TransitionSpec, label_in

router = APIRouter(include_in_schema=False)


class FormError(ValueError):
    status = 422

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@router.get(
    "/ui/cases/{case_id}", openapi_extra=declared(Action.case_read), response_class=HTMLResponse
)
def case_page(
    request: Request, case_id: int, session: SessionDep, lang: LangDep, done: str = ""
) -> HTMLResponse:
    return _case_page(request, session, lang, case_id, done=done)


@router.post("/ui/cases/{case_id}/transitions/{name}", openapi_extra=declared(Action.case_fire))
async def fire_from_form(
    request: Request, case_id: int, name: str, session: SessionDep, lang: LangDep
) -> Response:
    form = await checked_form(request, session)
    services = services_of(request)
    spec = services.catalogue.lifecycle.any_transition(name)
    try:
        if spec is None:
            raise NotFound(f"there is no transition {name!r}")
        version = form.get("version")
        fire_transition(
            services,
            session.actor,
            case_id,
            name,
            form_inputs(spec, form),
            if_match=whole_number(version),
        )
    except (TransitionRefused, InvalidInputs, ServiceError, FormError) as refused:
        # Which form the refusal answers: that form opens again, its faulty fields marked.
        refusal = {"transition": name, **_explain(refused)}
        # What was typed comes back with it: correcting one field should not mean retyping all.
        refusal["values"] = {
            key: value
            for key, value in form.items()
            if isinstance(value, str) and key not in ("csrf", "version")
        }
        return _case_page(
            request, session, lang, case_id, refusal=refusal, status=_status_of(refused)
        )
    return RedirectResponse(f"/ui/cases/{case_id}?{urlencode({'done': name})}", status_code=303)


@router.post(
    "/ui/cases/{case_id}/partners/{organisation_id}/confirm",
    openapi_extra=declared(Action.case_partner),
)
async def confirm_partner_from_form(
    request: Request, case_id: int, organisation_id: int, session: SessionDep, lang: LangDep
) -> Response:
    """A partner's applicant, or a caseworker, confirms the partner joins the application."""
    await checked_form(request, session)
    services = services_of(request)
    try:
        with services.units.writing() as uow:
            services.partners.confirm(uow, session.actor, case_id, organisation_id)
            uow.commit()
    except ServiceError as refused:
        return _case_page(
            request, session, lang, case_id, refusal=_explain(refused), status=_status_of(refused)
        )
    done = urlencode({"done": "partner_confirmed"})
    return RedirectResponse(f"/ui/cases/{case_id}?{done}", status_code=303)


@router.post("/ui/cases/{case_id}/attachments", openapi_extra=declared(Action.case_attach))
async def upload_from_form(
    request: Request, case_id: int, session: SessionDep, lang: LangDep
) -> Response:
    form = await checked_form(request, session)
    upload = form.get("file")
    services = services_of(request)
    try:
        if not isinstance(upload, UploadFile):
            raise FormError("choose a file to upload")
        content = await upload.read(services.attachments.max_bytes + 1)
        with services.units.writing() as uow:
            services.attachments.add(
                uow,
                session.actor,
                case_id,
                str(form.get("kind") or "other"),
                upload.filename or "",
                content,
            )
            uow.commit()
    except (ServiceError, FormError) as refused:
        return _case_page(
            request, session, lang, case_id, refusal=_explain(refused), status=_status_of(refused)
        )
    return RedirectResponse(
        f"/ui/cases/{case_id}?{urlencode({'done': 'attachment'})}", status_code=303
    )


def _case_page(
    request: Request,
    session: BrowserSession,
    lang: str,
    case_id: int,
    *,
    done: str = "",
    refusal: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    services = services_of(request)
    lifecycle = services.catalogue.lifecycle
    actor = session.actor
    with services.units.reading() as uow:
        try:
            case = services.reading.get(uow, actor, case_id)
        except NotFound:
            return not_found(request, lang, session)
        history = services.reading.history(uow, actor, case_id)
        orgs = {o.id: o for o in list_organisations(uow, actor)}
        deadlines = services.deadlines.of_case(uow, actor, case_id)
        notifications = services.deadlines.notifications(uow, actor, case_id, 20).items
        attachments = services.attachments.of_case(uow, actor, case_id)
        register = services.registrar.of_case(uow, case_id)
        amendments = services.amendments.listed(uow, actor, case_id)
        case_money = finances(uow, services.reading, actor, case_id)
        checklist = services.checklists.of_case(uow, actor, case_id, lang)
    path = [
        (e.from_state, e.to_state)
        for e in history
        if e.kind == "transition" and e.from_state and e.to_state
    ]
    actions = services.transitions.open_to(actor, case.state, case.organisation_id)
    done_spec = lifecycle.any_transition(done)
    now = services.clock.now()
    state_label = label_in(lifecycle.states[case.state].label, lang, case.state)
    alt = f"{words(lang)['diagram_alt_case']} {state_label}."
    return render(
        request,
        "case.html",
        lang,
        session,
        status=status,
        case=case,
        programme=services.catalogue.programme(case.programme),
        orgs=orgs,
        state_label=state_label,
        actions=[_action(t, lang) for t in actions],
        deadlines=deadlines,
        notifications=notifications,
        attachments=attachments,
        register=register,
        amendments=amendments,
        amendment_kinds=amendment_rules().labels,
        may_amend=allows(
            actor,
            Action.amendment_request,
            Subject(frozenset({case.organisation_id}), case.organisation_id),
        )
        and case.state in amendment_rules().open_in,
        may_assess_change=allows(actor, Action.amendment_assess),
        may_decide_change=allows(actor, Action.amendment_decide),
        document_label=services.registrar.labels(lang),
        money=case_money,
        diagram=diagram.render(lifecycle, lang, case.state, path, alt=alt),
        done=done,
        done_label=label_in(done_spec.label, lang, done)
        if done_spec
        else words(lang).get(done, done),
        may_confirm=[
            o
            for o in case.invited_partners
            if allows(session.actor, Action.case_partner, Subject(frozenset({o}), o))
        ],
        refusal=refusal,
        checklist=checklist,
        may_assess=allows(actor, Action.case_assess) and not lifecycle.states[case.state].terminal,
        now=now,
        local=lambda at: local_time(services, at, case.programme),
        time_left=lambda due: time_left(due, now, lang),
        fmt=money,
    )


def form_inputs(spec: TransitionSpec, form: FormData) -> dict[str, Any]:
    """A transition's inputs from its form; the lifecycle's own validation does the rest."""
    body: dict[str, Any] = {}
    for field in spec.inputs:
        raw = str(form.get(field.name) or "").strip()
        if not raw:
            continue
        if field.type == "cost_lines":
            lines = []
            for number, row in enumerate(raw.splitlines(), start=1):
                if not row.strip():
                    continue
                cells = [c.strip() for c in row.replace(";", "|").replace("\t", "|").split("|")]
                if len(cells) != 3:
                    raise FormError(
                        f"{field.name}, row {number}: write it as line | category | amount",
                        field.name,
                    )
                lines.append(
                    {
                        "line": cells[0],
                        "category": cells[1],
                        "amount": cells[2].replace(" ", "").replace(",", "."),
                    }
                )
            body[field.name] = lines
        elif field.type == "money":
            body[field.name] = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        else:
            body[field.name] = raw
    return body


def _action(t: TransitionSpec, lang: str) -> dict[str, Any]:
    return {
        "name": t.name,
        "label": label_in(t.label, lang, t.name),
        "inputs": [
            {
                "name": i.name,
                "type": i.type,
                "required": i.required,
                "label": label_in(i.label, lang, i.name),
                "choices": i.choices,
            }
            for i in t.inputs
        ],
    }


def _explain(refused: Exception) -> dict[str, Any]:
    if isinstance(refused, InvalidInputs):
        return {
            "detail": "; ".join(f"{e['field']}: {e['message']}" for e in refused.errors),
            "type": "invalid-inputs",
            # A field's errors by the input's name ("cost_lines.0.amount" belongs to cost_lines).
            "fields": _by_field(refused.errors),
        }
    if isinstance(refused, TransitionRefused):
        return {
            "detail": refused.detail,
            "type": refused.problem,
            "extra": getattr(refused, "details", {}),
        }
    if isinstance(refused, ServiceError):
        return {"detail": refused.detail, "type": refused.problem, "extra": refused.extra}
    fields = (
        {refused.field: str(refused)} if isinstance(refused, FormError) and refused.field else {}
    )
    return {"detail": str(refused), "type": "invalid-inputs", "fields": fields}


def _by_field(errors: list[dict[str, str]]) -> dict[str, str]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(error["field"].split(".")[0], []).append(error["message"])
    return {name: "; ".join(messages) for name, messages in fields.items()}


def _status_of(refused: Exception) -> int:
    status: int = getattr(refused, "status", 422)
    return status
