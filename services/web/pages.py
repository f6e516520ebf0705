"""The pages: inbox, case, history, programme dashboard and the lifecycle, rendered on the server."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func
from sqlmodel import select
from starlette.datastructures import FormData

from services.audit import verify
from services.cases import CaseFilter, CaseService, acts_on
from services.deadlines import DeadlineFilter, case_deadlines, list_deadlines, list_notifications
from services.errors import NotFound, ServiceError, Unauthenticated
from services.exports import csv_text
from services.grants import add_attachment, finances, list_attachments
from services.organisations import list_organisations
from services.storage.models import Case, Deadline, Disbursement, Programme
from services.web import diagram
from services.web.i18n import LANGUAGES, words
from services.web.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Session,
    csrf_ok,
    current,
    sign_in,
    sign_out,
)
from workflow.clock import assume_utc
from workflow.engine import TransitionRefused
from workflow.lifecycle import InvalidInputs, TransitionSpec, label_in

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
NBSP = "\u00a0"  # Swedish and Danish group thousands with a (non-breaking) space


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class CsrfRefused(Exception):
    pass


def language(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("gf_lang") or "en"
    return chosen if chosen in LANGUAGES else "en"


def signed_in(request: Request) -> Session:
    app = request.app.state
    session = current(app.db, app.clock, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SignInRequired(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        )
    return session


SessionDep = Annotated[Session, Depends(signed_in)]
LangDep = Annotated[str, Depends(language)]


def render(
    request: Request,
    name: str,
    lang: str,
    session: Session | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    catalogue = request.app.state.catalogue
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": words(lang),
            "lang": lang,
            "languages": LANGUAGES,
            "session": session,
            "programmes": sorted(catalogue.programmes.items()),
            "lang_url": lambda code: _with_query(request, lang=code),
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("gf_lang", lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
    return response


def install(app: Any) -> None:
    """Handlers that turn sign-in and CSRF refusals into pages rather than JSON."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/ui/signin?{urlencode({'next': exc.next_url})}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        lang = language(request)
        return render(request, "message.html", lang, None, status=403, message=words(lang)["csrf"])


# -- signing in and out -------------------------------------------------------------------------


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui/inbox", status_code=303)


@router.get("/ui/signin", response_class=HTMLResponse)
def signin_form(
    request: Request, lang: LangDep, next: str = "/ui/inbox", error: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "signin.html", lang, None, next=_safe_next(next), login_csrf=token, error=error
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.post("/ui/signin")
def signin(
    request: Request,
    lang: LangDep,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/ui/inbox",
) -> Response:
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
        raise CsrfRefused()
    app = request.app.state
    try:
        session = sign_in(app.db, app.clock, token)
    except Unauthenticated:
        return RedirectResponse(
            f"/ui/signin?{urlencode({'next': next, 'error': '1'})}", status_code=303
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/ui/signout")
async def signout(request: Request, session: SessionDep) -> Response:
    await _check_csrf(request, session)
    sign_out(request.app.state.db, session.id)
    response = RedirectResponse("/ui/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# -- inbox ----------------------------------------------------------------------------------------


@router.get("/ui/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    programme: str = "",
    state: str = "",
    organisation: str = "",
    needs_me: str = "",
    sort: str = "updated_at",
    dir: str = "desc",
    page: str = "1",
) -> HTMLResponse:
    # Query strings from a form: an empty select is "", so parse leniently rather than refuse.
    organisation_id = int(organisation) if organisation.isdigit() else None
    wants_mine = needs_me.lower() in ("true", "on", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 1_000_000 else 1
    cases: CaseService = request.app.state.cases
    lifecycle = cases.catalogue.lifecycle
    actor = session.actor
    mine = tuple(
        sorted({s for t in lifecycle.transitions if actor.role in t.roles for s in t.sources})
    )
    where = CaseFilter(
        programme=programme or None,
        state=state or None,
        organisation_id=organisation_id,
        needs_states=mine if wants_mine else None,
        overdue_at=cases.clock.now() if wants_mine else None,
    )
    listing = cases.list(actor, where, page_no, PAGE_SIZE, sort=sort, descending=dir != "asc")
    counts = cases.count_by_state(actor, where)
    orgs = {o.id: o.name for o in list_organisations(cases.db)}
    next_due = _next_deadlines(cases, [c.id for c in listing.items])
    return render(
        request,
        "inbox.html",
        lang,
        session,
        listing=listing,
        counts=[
            (s, label_in(lifecycle.states[s].label, lang, s), counts[s])
            for s in lifecycle.states
            if counts.get(s)
        ],
        states=[(s, label_in(spec.label, lang, s)) for s, spec in lifecycle.states.items()],
        state_label=lambda s: label_in(lifecycle.states[s].label, lang, s),
        orgs=orgs,
        filters={
            "programme": programme,
            "state": state,
            "organisation": organisation,
            "needs_me": needs_me,
            "sort": sort,
            "dir": dir,
        },
        sort_url=lambda column: _with_query(
            request, sort=column, dir="asc" if sort == column and dir == "desc" else "desc", page=1
        ),
        page_url=lambda n: _with_query(request, page=n),
        state_url=lambda s: _with_query(request, state=s, page=1),
        pages=max(1, -(-listing.total // PAGE_SIZE)),
        next_due=next_due,
        now=cases.clock.now(),
        local=lambda at, code: _local(cases, at, code),
        money=_money,
    )


# -- a case ----------------------------------------------------------------------------------------


@router.get("/ui/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: int, session: SessionDep, lang: LangDep, done: str = ""
) -> HTMLResponse:
    return _case_page(request, session, lang, case_id, done=done)


@router.post("/ui/cases/{case_id}/transitions/{name}")
async def fire_from_form(
    request: Request, case_id: int, name: str, session: SessionDep, lang: LangDep
) -> Response:
    form = await _check_csrf(request, session)
    cases: CaseService = request.app.state.cases
    spec = cases.catalogue.lifecycle.any_transition(name)
    try:
        if spec is None:
            raise NotFound(f"there is no transition {name!r}")
        body = _form_inputs(spec, form)
        version = form.get("version")
        cases.fire(
            session.actor,
            case_id,
            name,
            body,
            if_match=int(version) if str(version or "").isdigit() else None,
        )
    except (TransitionRefused, InvalidInputs, ServiceError, FormError) as refused:
        return _case_page(
            request, session, lang, case_id, refusal=_explain(refused), status=_status_of(refused)
        )
    return RedirectResponse(f"/ui/cases/{case_id}?{urlencode({'done': name})}", status_code=303)


@router.post("/ui/cases/{case_id}/attachments")
async def upload_from_form(
    request: Request, case_id: int, session: SessionDep, lang: LangDep
) -> Response:
    form = await _check_csrf(request, session)
    upload = form.get("file")
    cases: CaseService = request.app.state.cases
    try:
        if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
            raise FormError("choose a file to upload")
        content = await upload.read(20 * 1024 * 1024 + 1)  # type: ignore[union-attr]
        add_attachment(
            cases,
            request.app.state.settings.data_dir,
            session.actor,
            case_id,
            str(form.get("kind") or "other"),
            upload.filename or "",
            content,
        )  # type: ignore[union-attr]
    except (ServiceError, FormError) as refused:
        return _case_page(
            request, session, lang, case_id, refusal=_explain(refused), status=_status_of(refused)
        )
    return RedirectResponse(
        f"/ui/cases/{case_id}?{urlencode({'done': 'attachment'})}", status_code=303
    )


def _not_found(request: Request, lang: str, session: Session) -> HTMLResponse:
    return render(
        request, "message.html", lang, session, status=404, message=words(lang)["not_found"]
    )


def _case_page(
    request: Request,
    session: Session,
    lang: str,
    case_id: int,
    *,
    done: str = "",
    refusal: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    cases: CaseService = request.app.state.cases
    lifecycle = cases.catalogue.lifecycle
    actor = session.actor
    try:
        case = cases.get(actor, case_id)
    except NotFound:
        return _not_found(request, lang, session)
    history = cases.history(actor, case_id)
    path = [(e.from_state, e.to_state) for e in history if e.kind == "transition"]
    programme = cases.catalogue.programme(case.programme)
    orgs = {o.id: o for o in list_organisations(cases.db)}
    actions = (
        cases.catalogue.engine.open_transitions(case.state, actor.role)
        if acts_on(actor, case.organisation_id)
        else []
    )
    return render(
        request,
        "case.html",
        lang,
        session,
        status=status,
        case=case,
        programme=programme,
        orgs=orgs,
        state_label=label_in(lifecycle.states[case.state].label, lang, case.state),
        actions=[_action(t, lang) for t in actions],
        deadlines=case_deadlines(cases, actor, case_id),
        notifications=list_notifications(cases, actor, case_id, 1, 20),
        attachments=list_attachments(cases, actor, case_id),
        money=finances(cases, actor, case_id),
        diagram=diagram.render(lifecycle, lang, case.state, path),
        done=done,
        done_label=label_in(lifecycle.any_transition(done).label, lang, done)
        if lifecycle.any_transition(done)
        else done,
        refusal=refusal,
        now=cases.clock.now(),
        local=lambda at: _local(cases, at, case.programme),
        time_left=lambda due: _time_left(due, cases.clock.now(), lang),
        fmt=_money,
    )


# -- history and "as of" -----------------------------------------------------------------------


@router.get("/ui/cases/{case_id}/history", response_class=HTMLResponse)
def history_page(
    request: Request,
    case_id: int,
    session: SessionDep,
    lang: LangDep,
    as_of: str = "",
    verify_chain: bool = False,
    refusals: bool = False,
) -> HTMLResponse:
    cases: CaseService = request.app.state.cases
    lifecycle = cases.catalogue.lifecycle
    actor = session.actor
    try:
        case = cases.get(actor, case_id)
    except NotFound:
        return _not_found(request, lang, session)
    events = cases.history(actor, case_id, include_refusals=refusals)
    zone = ZoneInfo(cases.catalogue.programme(case.programme).time_zone)  # type: ignore[union-attr]
    then, then_error = None, ""
    if as_of:
        try:
            when = (
                dt.datetime.fromisoformat(as_of) if "T" in as_of else dt.date.fromisoformat(as_of)
            )
            then = cases.as_of(actor, case_id, when)
        except ValueError:
            then_error = as_of
        except NotFound:
            then_error = words(lang)["not_yet"]
    verification = verify(cases.db) if verify_chain else None
    labels = {s: label_in(spec.label, lang, s) for s, spec in lifecycle.states.items()}
    transitions = {t.name: label_in(t.label, lang, t.name) for t in lifecycle.transitions}
    return render(
        request,
        "history.html",
        lang,
        session,
        case=case,
        events=events,
        labels=labels,
        transitions=transitions,
        then=then,
        then_error=then_error,
        as_of=as_of,
        refusals=refusals,
        verification=verification,
        local=lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        as_of_value=lambda at: at.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"),
        zone=str(zone),
        fmt=_money,
    )


# -- programme dashboard and the lifecycle ----------------------------------------------------


@router.get("/ui/programmes/{code}", response_class=HTMLResponse)
def programme_page(request: Request, code: str, session: SessionDep, lang: LangDep) -> HTMLResponse:
    cases: CaseService = request.app.state.cases
    config = cases.catalogue.programme(code)
    if config is None:
        return _not_found(request, lang, session)
    lifecycle = cases.catalogue.lifecycle
    with cases.db.reading() as s:
        row = s.exec(select(Programme).where(Programme.code == code)).one()
        disbursed = s.exec(
            select(func.coalesce(func.sum(Disbursement.amount), 0))
            .join(Case, Case.id == Disbursement.case_id)  # type: ignore[arg-type]
            .where(Case.programme_id == row.id)
        ).one()
    disbursed = Decimal(disbursed or 0)
    pool = config.budget.pool if config.budget else None
    before = config.budget.committed_before if config.budget else Decimal(0)
    counts = cases.count_by_state(session.actor, CaseFilter(programme=code))
    now = cases.clock.now()
    upcoming = list_deadlines(
        cases,
        session.actor,
        DeadlineFilter(
            status="pending", programme=code, due_after=now, due_before=now + dt.timedelta(days=30)
        ),
        1,
        50,
    )
    bar = None
    if pool:
        parts = [
            ("before", before),
            ("committed", row.committed),
            ("left", max(Decimal(0), pool - before - row.committed)),
        ]
        bar = [(name, amount, float(amount / pool * 100)) for name, amount in parts]
    biggest = max(counts.values(), default=1)
    return render(
        request,
        "programme.html",
        lang,
        session,
        code=code,
        config=config,
        pool=pool,
        before=before,
        committed=row.committed,
        disbursed=disbursed,
        left=(pool - before - row.committed) if pool else None,
        bar=bar,
        counts=[
            (s, label_in(spec.label, lang, s), counts.get(s, 0), counts.get(s, 0) / biggest * 100)
            for s, spec in lifecycle.states.items()
            if counts.get(s)
        ],
        upcoming=upcoming.items,
        local=lambda at: _local(cases, at, code),
        time_left=lambda due: _time_left(due, now, lang),
        fmt=_money,
    )


@router.get("/ui/programmes/{code}/cases.csv")
def programme_csv(request: Request, code: str, session: SessionDep) -> Response:
    cases: CaseService = request.app.state.cases
    if cases.catalogue.programme(code) is None:
        raise NotFound(f"there is no programme {code!r}")
    fields = [
        "reference",
        "title",
        "state",
        "organisation_id",
        "requested_amount",
        "granted_amount",
        "disbursed_amount",
        "eligible_spent",
        "to_repay",
        "currency",
        "created_at",
        "updated_at",
    ]
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        listing = cases.list(
            session.actor, CaseFilter(programme=code), page, 200, sort="id", descending=False
        )
        rows += (c.model_dump(mode="json") for c in listing.items)
        if page * 200 >= listing.total:
            break
        page += 1
    return Response(
        csv_text(fields, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-cases.csv"'},
    )


@router.get("/ui/lifecycle", response_class=HTMLResponse)
def lifecycle_page(request: Request, session: SessionDep, lang: LangDep) -> HTMLResponse:
    catalogue = request.app.state.catalogue
    return render(
        request, "lifecycle.html", lang, session, diagram=diagram.render(catalogue.lifecycle, lang)
    )


# -- helpers ------------------------------------------------------------------------------------


class FormError(ValueError):
    status = 422


async def _check_csrf(request: Request, session: Session) -> FormData:
    form = await request.form()
    if not csrf_ok(session.csrf_token, str(form.get("csrf") or "")):
        raise CsrfRefused()
    return form


def _form_inputs(spec: TransitionSpec, form: FormData) -> dict[str, Any]:
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
                        f"{field.name}, row {number}: write it as line | category | amount"
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
        }
    if isinstance(refused, TransitionRefused):
        return {
            "detail": refused.detail,
            "type": refused.problem,
            "extra": getattr(refused, "details", {}),
        }
    if isinstance(refused, ServiceError):
        return {"detail": refused.detail, "type": refused.problem, "extra": refused.extra}
    return {"detail": str(refused), "type": "invalid-inputs"}


def _status_of(refused: Exception) -> int:
    return getattr(refused, "status", 422)


def _next_deadlines(cases: CaseService, case_ids: list[int]) -> dict[int, dt.datetime]:
    if not case_ids:
        return {}
    with cases.db.reading() as s:
        rows = s.exec(
            select(Deadline.case_id, func.min(Deadline.due_at))
            .where(Deadline.case_id.in_(case_ids), Deadline.status == "pending")  # type: ignore[union-attr]
            .group_by(Deadline.case_id)
        ).all()
    return {cid: assume_utc(due) for cid, due in rows}


def _local(cases: CaseService, at: dt.datetime | None, programme: str) -> str:
    if at is None:
        return ""
    config = cases.catalogue.programme(programme)
    zone = config.zone if config else ZoneInfo("UTC")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _time_left(due: dt.datetime, now: dt.datetime, lang: str) -> str:
    seconds = (due - now).total_seconds()
    late = seconds < 0
    seconds = abs(seconds)
    days, hours = int(seconds // 86400), int(seconds % 86400 // 3600)
    span = f"{days} d {hours} h" if days else f"{hours} h {int(seconds % 3600 // 60)} min"
    return f"{words(lang)['overdue']} {span}" if late else span


def _money(amount: Decimal | str | None) -> str:
    if amount is None or amount == "":
        return "–"
    value = Decimal(str(amount))
    whole, _, cents = f"{value:,.2f}".partition(".")
    return whole.replace(",", NBSP) + "," + cents


def _with_query(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    params.update({k: str(v) for k, v in changes.items() if v is not None})
    return f"{request.url.path}?{urlencode(params)}"


def _safe_next(next_url: str) -> str:
    """Only a path on this site: never an open redirect."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/ui/inbox"
