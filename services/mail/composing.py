"""A mail's words: the templates in services/mail/templates/<language>/, as text and as HTML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workflow.lifecycle import label_in

TEMPLATES = Path(__file__).parent / "templates"
DIGEST_SUBJECT = {
    "en": "Your daily summary: {count} events",
    "sv": "Din dagliga sammanfattning: {count} händelser",
    "da": "Dit daglige overblik: {count} hændelser",
}


@dataclass(frozen=True)
class Telling:
    """What one notification tells, before it is put in a recipient's language."""

    about: str
    what: Mapping[str, str]  # the transition's or the deadline's label, by language
    reference: str
    title: str
    link: str
    programme: Mapping[str, str]
    funder: str
    state: Mapping[str, str] = field(default_factory=dict)  # the state the case is in now
    message: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None  # the reason or note the person who acted wrote
    due_at: dt.datetime | None = None


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class DigestItem:
    at: str
    subject: str
    link: str


class Composer:
    def __init__(self, time_zone: str) -> None:
        self.zone = ZoneInfo(time_zone)
        # Text is not escaped (it is not markup); HTML is, so a title cannot inject markup.
        # The templates ship with the release: no need to look at their files' times per mail.
        self.text = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=False,
            auto_reload=False,
        )
        self.html = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html"]),
            auto_reload=False,
        )

    def local(self, at: dt.datetime) -> str:
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def notice(self, telling: Telling, name: str, language: str) -> Composed:
        what = label_in(telling.what, language, telling.about)
        subject = f"{what}: {telling.reference} {telling.title}".strip()
        context = {
            "subject": subject,
            "name": name,
            "what": what,
            "reference": telling.reference,
            "title": telling.title,
            "state": label_in(telling.state, language, ""),
            "message": label_in(telling.message, language, ""),
            "due": self.local(telling.due_at) if telling.due_at else "",
            "note": telling.note or "",
            "link": telling.link,
            "programme": label_in(telling.programme, language, ""),
            "funder": telling.funder,
        }
        return self._render("notice", language, subject, context)

    def digest(self, items: Sequence[DigestItem], name: str, language: str) -> Composed:
        subject = DIGEST_SUBJECT.get(language, DIGEST_SUBJECT["en"]).format(count=len(items))
        context = {"subject": subject, "name": name, "items": list(items)}
        return self._render("digest", language, subject, context)

    def _render(
        self, template: str, language: str, subject: str, context: Mapping[str, object]
    ) -> Composed:
        return Composed(
            subject=subject,
            text=self.text.get_template(f"{language}/{template}.txt").render(context),
            html=self.html.get_template(f"{language}/{template}.html").render(context),
        )
