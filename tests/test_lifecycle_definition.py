"""The lifecycle definition in states/ checked as data, before any case runs through it."""

from __future__ import annotations

import copy

import pytest

from config.settings import Settings
from states import load_definition
from workflow.catalogue import load_catalogue
from workflow.engine import Engine
from workflow.guards import GUARDS
from workflow.lifecycle import load_lifecycle, parse_lifecycle

LIFECYCLE = load_lifecycle()
EFFECTS = Engine(LIFECYCLE).effect_names


def test_every_state_is_reachable_from_an_entry_state() -> None:
    assert LIFECYCLE.reachable_states() == set(LIFECYCLE.states)


def test_terminal_states_have_no_way_out_and_the_others_have_one() -> None:
    terminal = {s.name for s in LIFECYCLE.states.values() if s.terminal}
    assert terminal == {"interest_declined", "lapsed", "rejected", "withdrawn", "closed"}
    for state in LIFECYCLE.states:
        assert bool(LIFECYCLE.transitions_from(state)) != (state in terminal), state


def test_every_guard_and_effect_named_in_the_definition_is_implemented() -> None:
    named_guards = {g for t in LIFECYCLE.transitions for g in t.guards}
    named_effects = {e for t in LIFECYCLE.transitions for e in t.effects}
    named_effects |= {e for effects in LIFECYCLE.creation_effects.values() for e in effects}
    assert named_guards <= set(GUARDS)
    assert named_effects <= set(EFFECTS)
    assert LIFECYCLE.problems(GUARDS, EFFECTS) == []


def test_every_state_and_transition_has_english_and_swedish_labels() -> None:
    for state in LIFECYCLE.states.values():
        assert {"en", "sv"} <= set(state.label), state.name
    for transition in LIFECYCLE.transitions:
        assert {"en", "sv"} <= set(transition.label), transition.name


def test_a_misspelt_guard_is_reported_with_the_transition_that_names_it() -> None:
    raw = copy.deepcopy(load_definition())
    raw["transitions"][0]["guards"] = ["four_eys"]
    problems = parse_lifecycle(raw).problems(GUARDS, EFFECTS)
    assert problems == ["transition 'invite': guard 'four_eys' is not implemented"]


def test_an_unreachable_state_and_a_dead_end_are_reported() -> None:
    raw = copy.deepcopy(load_definition())
    raw["states"]["limbo"] = {"label": {"en": "Limbo"}}
    problems = parse_lifecycle(raw).problems(GUARDS, EFFECTS)
    assert "state 'limbo' cannot be reached from an entry state" in problems
    assert "state 'limbo' is not terminal but has no way out" in problems


def test_a_terminal_state_with_a_way_out_is_reported() -> None:
    raw = copy.deepcopy(load_definition())
    raw["transitions"].append(
        {"name": "reopen", "from": ["closed"], "to": "reporting", "roles": ["caseworker"]}
    )
    problems = parse_lifecycle(raw).problems(GUARDS, EFFECTS)
    assert "terminal state 'closed' has a way out: reopen" in problems


def test_decisions_need_an_approver_and_the_four_eyes_guard() -> None:
    for name in ("grant_mapping", "grant_implementation"):
        transition = LIFECYCLE.any_transition(name)
        assert transition is not None
        assert {r.value for r in transition.roles} == {"approver"}
        assert "four_eyes" in transition.guards


@pytest.mark.parametrize(
    ("programme", "entry"),
    [
        ("delmos-2018", "interest_registered"),
        ("dua-2021", "application_draft"),
        ("finsam-falun-2018", "application_draft"),
        ("sf-uppsala-nya-vagar", "application_draft"),
        ("star-flere-skal-med-2017", "application_draft"),
    ],
)
def test_each_programme_enters_the_lifecycle_where_its_text_says(
    programme: str, entry: str
) -> None:
    catalogue = load_catalogue(Settings().programmes_dir)
    found = catalogue.programme(programme)
    assert found is not None and found.entry == entry


def test_every_deadline_fires_a_real_transition_or_flags_real_states() -> None:
    for kind in LIFECYCLE.deadlines.values():
        if kind.fires:
            assert LIFECYCLE.any_transition(kind.fires) is not None, kind.name
            assert "system" in LIFECYCLE.any_transition(kind.fires).roles, kind.name
        else:
            assert kind.round or set(kind.while_in) <= set(LIFECYCLE.states), kind.name


def test_each_deadline_kind_has_a_schedule_effect() -> None:
    assert {f"schedule_{k}" for k in LIFECYCLE.deadlines} <= EFFECTS
