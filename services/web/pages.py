"""The pages, rendered on the server: one router of them all, and what the app installs for them."""

from __future__ import annotations

from fastapi import APIRouter

from services.web import (
    pages_amendments,
    pages_case,
    pages_checklist,
    pages_history,
    pages_inbox,
    pages_incidents,
    pages_mail,
    pages_oidc,
    pages_privacy,
    pages_programme,
    pages_signin,
    pages_statement,
)
from services.web.rendering import HERE, install

router = APIRouter(include_in_schema=False)
for module in (
    pages_signin,
    pages_inbox,
    pages_case,
    pages_amendments,
    pages_checklist,
    pages_history,
    pages_programme,
    pages_incidents,
    pages_mail,
    pages_oidc,
    pages_privacy,
    pages_statement,
):
    router.include_router(module.router)

__all__ = ["HERE", "install", "router"]
