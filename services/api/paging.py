"""Turning a page's cursor into the `next` link: the same request, from where this page ended."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel

from services.schemas import Page

Item = TypeVar("Item", bound=BaseModel)

Limit = Annotated[int, Query(ge=1, le=200, description="how many items a page holds")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="where to go on from: take it from the `next` link"),
]


def linked(page: Page[Item], request: Request) -> Page[Item]:
    if page.cursor is not None:
        page.next = str(request.url.include_query_params(cursor=page.cursor))
    return page


def next_link_header(page: Page[Item], request: Request) -> dict[str, str]:
    """The same link as an RFC 8288 header, for answers that are not JSON (CSV)."""
    linked(page, request)
    return {"Link": f'<{page.next}>; rel="next"'} if page.next else {}
