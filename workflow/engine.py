"""The one place transitions fire: a shared `transitions` machine per lifecycle, built once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypedDict, cast

from transitions import EventData, Machine

from workflow.actors import Actor, Role
from workflow.case import CaseFacts, Outcome, Record, TransitionRequest
from workflow.effects import EFFECT_NEEDS, EFFECTS, Effect, deadline_effects
from workflow.guards import GUARDS, Guard, Refusal
from workflow.lifecycle import Lifecycle, TransitionSpec


class Refused(TypedDict):
    """Where a refused transition leaves its caller: what was tried, the state, what is open."""

    transition: str
    state: str
    open_transitions: list[str]


class TransitionRefused(Exception):
    """A transition that may not happen; `status` and `problem` say how the API reports it."""

    status = 409
    problem = "transition-refused"

    def __init__(
        self, detail: str, *, transition: str, state: str, open_transitions: list[str]
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.transition = transition
        self.state = state
        self.open_transitions = open_transitions


class UnknownTransition(TransitionRefused):
    status = 404
    problem = "unknown-transition"


class RoleNotAllowed(TransitionRefused):
    status = 403
    problem = "role-not-allowed"


class NotAllowedInState(TransitionRefused):
    status = 409
    problem = "transition-not-allowed-in-state"


class GuardRefused(TransitionRefused):
    problem = "guard-refused"

    def __init__(self, guard: Guard, refusal: Refusal, **kw: Any) -> None:
        super().__init__(f"{guard.name}: {refusal.reason}", **kw)
        self.status = guard.status
        self.guard = guard.name
        self.reason = refusal.reason
        self.details = refusal.details


@dataclass(frozen=True)
class Firing:
    """A transition that happened, ready to be stored and audited."""

    transition: TransitionSpec
    from_state: str
    to_state: str
    inputs: dict[str, Any]
    changes: dict[str, Any]
    records: list[Record]
    explanation: dict[str, Any]


class _CaseInMachine:
    """The object the shared machine moves: one per firing, so the machine holds nothing between
    requests (and a SQLModel row would refuse the attributes a machine sets)."""

    def __init__(self, case: CaseFacts, request: TransitionRequest) -> None:
        self.case = case
        self.request = request
        self.state = case.state
        self.outcome = Outcome()
        self.refusal: tuple[Guard, Refusal] | None = None


class Engine:
    """Fires transitions of one lifecycle on cases; built once at start-up and shared."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        guards: Mapping[str, Guard] = GUARDS,
        effects: Mapping[str, Effect] = EFFECTS,
    ) -> None:
        scheduling = deadline_effects(lifecycle.deadlines)
        effects = {**effects, **scheduling}
        problems = lifecycle.problems(guards, effects)
        if problems:
            raise ValueError(f"lifecycle {lifecycle.name!r} is broken: " + "; ".join(problems))
        self.lifecycle = lifecycle
        self._guards = guards
        self._effects = effects
        # A deadline's due time may hang on the case's call, so scheduling one reads the call.
        self._effect_needs = {**EFFECT_NEEDS, **dict.fromkeys(scheduling, frozenset({"call"}))}
        self.machine = build_machine(lifecycle, self._check, self._apply)

    def needs(self, name: str) -> frozenset[str]:
        """The facts beyond the case's columns that transition `name`'s guards and effects read,
        so storage loads (and locks) only those."""
        found: set[str] = set()
        for t in self.lifecycle.transitions:
            if t.name == name:
                for g in t.guards:
                    found |= self._guards[g].needs
                for e in t.effects:
                    found |= self._effect_needs.get(e, frozenset())
        return frozenset(found)

    @property
    def effect_names(self) -> set[str]:
        """Every effect a definition may name: the registered ones and `schedule_<deadline kind>`."""
        return set(self._effects)

    def open_transitions(self, state: str, role: Role | None = None) -> list[TransitionSpec]:
        found = self.lifecycle.transitions_from(state)
        return [t for t in found if role is None or role in t.roles]

    def fire(
        self,
        case: CaseFacts,
        name: str,
        actor: Actor,
        body: Mapping[str, Any] | None,
        now: dt.datetime,
    ) -> Firing:
        """Move `case` by transition `name`, or raise TransitionRefused (or InvalidInputs) saying why.

        Checks run from the coarsest to the finest: does the transition exist, may this role fire
        it, does it leave the current state, are the inputs well-formed, do the guards pass.
        """
        refusal = Refused(
            transition=name,
            state=case.state,
            open_transitions=[t.name for t in self.open_transitions(case.state, actor.role)],
        )
        declared = self.lifecycle.any_transition(name)
        if declared is None:
            raise UnknownTransition(f"there is no transition {name!r}", **refusal)
        if actor.role not in declared.roles:
            roles = ", ".join(sorted(declared.roles))
            raise RoleNotAllowed(f"{name} may be fired by {roles}, not by {actor.role}", **refusal)
        spec = self.lifecycle.transition(name, case.state)
        if spec is None:
            raise NotAllowedInState(f"{name} is not possible in state {case.state}", **refusal)
        inputs = spec.parse_inputs(body, case.programme.currency)
        request = TransitionRequest(name=name, actor=actor, inputs=inputs, now=now)

        model = _CaseInMachine(case, request)
        # The machine's event moves the model it is handed. Adding the model to the machine
        # instead would give it a method per state and trigger on every firing, for nothing.
        moved = self.machine.events[name].trigger(model)
        if not moved:
            assert model.refusal is not None
            raise GuardRefused(*model.refusal, **refusal)
        return Firing(
            transition=spec,
            from_state=case.state,
            to_state=model.state,
            inputs=request.inputs,
            changes=model.outcome.changes,
            records=model.outcome.records,
            explanation=model.outcome.explanation,
        )

    def on_create(self, case: CaseFacts, actor: Actor, now: dt.datetime) -> Outcome:
        """The effects the lifecycle declares for a case created in its entry state."""
        request = TransitionRequest(name="create", actor=actor, inputs={}, now=now)
        outcome = Outcome()
        for name in self.lifecycle.creation_effects.get(case.state, ()):
            self._effects[name](dataclasses.replace(case, **outcome.changes), request, outcome)
        return outcome

    def _check(self, guard_name: str, event: EventData) -> bool:
        model = cast(_CaseInMachine, event.model)
        guard = self._guards[guard_name]
        refused = guard.check(model.case, model.request)
        if refused is None:
            return True
        model.refusal = (guard, refused if isinstance(refused, Refusal) else Refusal(refused))
        return False

    def _apply(self, effect_name: str, event: EventData) -> None:
        model = cast(_CaseInMachine, event.model)
        # Each effect sees the case as the effects before it left it.
        case = dataclasses.replace(model.case, state=model.state, **model.outcome.changes)
        self._effects[effect_name](case, model.request, model.outcome)


def build_machine(lifecycle: Lifecycle, check: Any, apply: Any) -> Machine:
    """A `transitions` machine for `lifecycle` with no model attached; each firing hands its event one."""
    return Machine(
        model=None,
        states=list(lifecycle.states),
        initial=None,
        transitions=[
            {
                "trigger": t.name,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": [partial(check, g) for g in t.guards],
                "after": [partial(apply, e) for e in t.effects],
            }
            for t in lifecycle.transitions
        ],
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )
