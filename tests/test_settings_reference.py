"""docs/SETTINGS.md is made from the settings class, and says what every setting does."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from services.settings_reference import settings_reference

ROOT = Path(__file__).resolve().parent.parent


def test_docs_settings_md_lists_every_setting_as_the_class_declares_it() -> None:
    written = (ROOT / "docs" / "SETTINGS.md").read_text(encoding="utf-8")
    assert written == settings_reference(), (
        "docs/SETTINGS.md is out of date: grantflow settings reference > docs/SETTINGS.md"
    )
    for name in Settings.model_fields:
        assert f"`GRANTFLOW_{name.upper()}`" in written


def test_every_setting_says_what_it_does() -> None:
    silent = [name for name, field in Settings.model_fields.items() if not field.description]
    assert silent == []


def test_what_production_enforces_is_marked_in_the_reference() -> None:
    rows = {
        line.split(" | ")[0].strip("| `"): line.rsplit(" | ", 1)[1].strip(" |")
        for line in settings_reference().splitlines()
        if line.startswith("| `GRANTFLOW_")
    }
    assert rows["GRANTFLOW_AUDIT_SIGNING_KEY"] == "required"
    assert rows["GRANTFLOW_ALLOW_DEMO_DATA"] == "must be `false`"
