"""Who hears what is data: states/notifications.toml, and a programme file's own rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import CONFIG_DIR
from workflow.catalogue import load_catalogue
from workflow.notices import Audience
from workflow.programmes import ProgrammeError
from workflow.statuses import MailCategory

DELMOS = CONFIG_DIR / "programmes" / "delmos-2018.toml"


def test_every_decision_to_an_applicant_is_told_to_it_and_cannot_be_turned_off() -> None:
    catalogue = load_catalogue(CONFIG_DIR / "programmes")
    for name in ("invite", "grant_mapping", "grant_implementation", "reject", "claim_repayment"):
        rule = catalogue.notices.for_(name)
        assert rule is not None, name
        assert rule.category is MailCategory.decision
        assert {Audience.lead_contact, Audience.parties} & set(rule.to), name


def test_a_programme_says_otherwise_for_its_own_cases() -> None:
    catalogue = load_catalogue(CONFIG_DIR / "programmes")
    text = DELMOS.read_text(encoding="utf-8") + (
        '\n[notifications.grant_implementation]\nto = ["parties", "approvers"]\n'
        'category = "decision"\n'
    )
    own = catalogue.parse(Path("delmos-2018.toml"), text.encode()).programme.notifications
    rule = catalogue.notices.for_("grant_implementation", own)
    assert rule is not None and rule.to == (Audience.parties, Audience.approvers)
    assert catalogue.notices.for_("invite", own) == catalogue.notices.for_("invite")


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('[notifications.grant_implmentation]\nto = ["parties"]\ncategory = "decision"', "grant_implmentation: no transition or deadline kind"),
        ('[notifications.invite]\nto = ["everyone"]\ncategory = "decision"', "notifications.invite.to.0"),
        ('[notifications.invite]\nto = ["parties"]\ncategory = "urgent"', "notifications.invite.category"),
    ],
)  # fmt: skip
def test_a_misspelt_notification_rule_in_a_programme_file_is_refused_naming_its_key(
    table: str, said: str
) -> None:
    catalogue = load_catalogue(CONFIG_DIR / "programmes")
    text = DELMOS.read_text(encoding="utf-8") + "\n" + table + "\n"
    with pytest.raises(ProgrammeError) as refused:
        catalogue.parse(Path("delmos-2018.toml"), text.encode())
    assert said in str(refused.value)
