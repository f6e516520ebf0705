"""The accessibility statement: public, in every language, linked from the foot of every page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.policy import PUBLIC, declared
from services.web.rendering import LangDep, render, session_if_any, settings_of

router = APIRouter(include_in_schema=False)

# The supervisory authorities, by the country whose law the agency answers to.
AUTHORITIES = (
    ("st_supervision_se", "https://www.digg.se", "digg.se"),
    ("st_supervision_dk", "https://digst.dk", "digst.dk"),
)


@router.get("/ui/accessibility", openapi_extra=declared(PUBLIC), response_class=HTMLResponse)
def accessibility_statement(request: Request, lang: LangDep) -> HTMLResponse:
    contact = settings_of(request).accessibility_contact.strip()
    return render(
        request,
        "accessibility.html",
        lang,
        session_if_any(request),
        contact=contact,
        contact_href=link_to(contact),
        authorities=AUTHORITIES,
    )


def link_to(contact: str) -> str:
    """A link from the configured contact: a web address is visited, an e-mail address written
    to. Only http(s) and mailto come out, so no setting can put a script in the page's link."""
    if contact.startswith(("https://", "http://")):
        return contact
    if "@" in contact:
        return f"mailto:{contact}"
    return f"https://{contact}" if contact else ""
