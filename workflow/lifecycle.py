"""The lifecycle definition from states/, typed and checked, with a validator for each transition's inputs."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from states import load_definition
from workflow.actors import Role
from workflow.money import CENTS, Money

Labels = Mapping[str, str]

MAX_TEXT = 10_000
# 13 digits before the point: well above any public grant, well inside a 64-bit count of öre.
# Quantized on the way in, so "1000" and "1000.00" are one amount everywhere, the audit log included;
# made Money in the programme's currency once the engine knows the case (TransitionSpec.parse_inputs).
MoneyInput = Annotated[
    Decimal,
    Field(ge=0, max_digits=15, decimal_places=2, allow_inf_nan=False),
    AfterValidator(lambda amount: amount.quantize(CENTS)),
]


@dataclass(frozen=True)
class CostLine:
    """One line of a budget or a final report: which budget line, which cost category, how much."""

    line: str
    category: str
    amount: Money

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> CostLine:
        return cls(fields["line"], fields["category"], fields["amount"])


class CostLineInput(BaseModel):
    """A cost line as a request writes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    line: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    amount: MoneyInput


INPUT_TYPES: dict[str, Any] = {
    "money": MoneyInput,
    "cost_lines": Annotated[list[CostLineInput], Field(min_length=1, max_length=500)],
    "choice": str,  # narrowed to the declared choices below
    "date": dt.date,
    "text": Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)],
    "integer": Annotated[int, Field(ge=0, le=2**53)],
}


def label_in(labels: Labels, language: str, fallback: str) -> str:
    return labels.get(language) or labels.get("en") or fallback


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    required: bool
    label: Labels
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class StateSpec:
    name: str
    label: Labels
    terminal: bool = False
    description: str = ""


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[Role]
    guards: tuple[str, ...]
    effects: tuple[str, ...]
    inputs: tuple[InputSpec, ...]
    label: Labels
    input_model: type[BaseModel] = field(repr=False, compare=False, hash=False, default=BaseModel)

    def parse_inputs(self, body: Mapping[str, Any] | None, currency: str) -> dict[str, Any]:
        """The validated inputs, amounts as Money in `currency`; raises InvalidInputs naming
        each field that is wrong."""
        try:
            parsed = self.input_model.model_validate(body or {})
        except ValidationError as exc:
            raise InvalidInputs(self.name, _field_errors(exc)) from None
        inputs = {k: v for k, v in parsed.model_dump().items() if v is not None and v != ""}
        for spec in self.inputs:
            if spec.name not in inputs:
                continue
            if spec.type == "money":
                inputs[spec.name] = Money(inputs[spec.name], currency)
            elif spec.type == "cost_lines":
                inputs[spec.name] = [
                    {**line, "amount": Money(line["amount"], currency)}
                    for line in inputs[spec.name]
                ]
        return inputs


class InvalidInputs(ValueError):
    """A transition's body did not match the inputs it declares."""

    def __init__(self, transition: str, errors: list[dict[str, str]]) -> None:
        super().__init__(f"invalid inputs for {transition}: {errors}")
        self.transition = transition
        self.errors = errors


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


@dataclass(frozen=True)
class DeadlineKind:
    """A kind of deadline: one that fires a transition, or (with `while_in`) one that only flags."""

    name: str
    label: Labels
    fires: str | None = None
    while_in: tuple[str, ...] = ()
    notify: str | None = None
    round: bool = False
    message: Labels = field(default_factory=dict)


@dataclass(frozen=True)
class Lifecycle:
    name: str
    states: Mapping[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    entry_states: tuple[str, ...]
    deadlines: Mapping[str, DeadlineKind] = field(default_factory=dict)
    creation_effects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Raised with each change that renames or removes what recorded cases name; the step from
    # the version before is declared in states/lifecycle_migrations.toml.
    version: int = 1

    @cached_property
    def State(self) -> type[StrEnum]:
        """The states as an enum: a name that is not a state fails where it is parsed."""
        return StrEnum("State", {name: name for name in self.states})  # type: ignore[return-value]

    @cached_property
    def DeadlineKindName(self) -> type[StrEnum]:
        """The deadline kinds as an enum."""
        return StrEnum("DeadlineKindName", {name: name for name in self.deadlines})  # type: ignore[return-value]

    def state(self, name: str) -> StrEnum:
        """`name` as one of this lifecycle's states; ValueError naming the closest if it is not."""
        try:
            return self.State(name)
        except ValueError:
            close = difflib.get_close_matches(name, list(self.states), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{name!r} is not a state of lifecycle {self.name!r}{hint}") from None

    def deadline_applies(self, kind: DeadlineKind, state: str) -> bool:
        """Whether a deadline of `kind` still means something for a case in `state`."""
        if kind.fires is not None:
            return self.transition(kind.fires, state) is not None
        return state in kind.while_in

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, name: str, source: str) -> TransitionSpec | None:
        return next((t for t in self.transitions_from(source) if t.name == name), None)

    def transition_names(self) -> list[str]:
        return list(dict.fromkeys(t.name for t in self.transitions))

    def any_transition(self, name: str) -> TransitionSpec | None:
        """The first declaration of `name`, for what all its declarations share (roles, inputs)."""
        return next((t for t in self.transitions if t.name == name), None)

    def reachable_states(self) -> set[str]:
        seen = set(self.entry_states)
        queue = deque(self.entry_states)
        while queue:
            for t in self.transitions_from(queue.popleft()):
                if t.dest not in seen:
                    seen.add(t.dest)
                    queue.append(t.dest)
        return seen

    def problems(self, guard_names: Iterable[str], effect_names: Iterable[str]) -> list[str]:
        """Everything wrong with this definition; an empty list means the engine may be built."""
        guards, effects = set(guard_names), set(effect_names)
        found: list[str] = []
        for entry in self.entry_states:
            if entry not in self.states:
                found.append(f"entry state {entry!r} is not a state")
        for t in self.transitions:
            where = f"transition {t.name!r}"
            found += [
                f"{where}: unknown source state {s!r}" for s in t.sources if s not in self.states
            ]
            if t.dest not in self.states:
                found.append(f"{where}: unknown destination state {t.dest!r}")
            found += [
                f"{where}: guard {g!r} is not implemented" for g in t.guards if g not in guards
            ]
            found += [
                f"{where}: effect {e!r} is not implemented" for e in t.effects if e not in effects
            ]
            if not t.roles:
                found.append(f"{where}: no role may fire it")
        unreachable = set(self.states) - self.reachable_states()
        found += [f"state {s!r} cannot be reached from an entry state" for s in sorted(unreachable)]
        for s in self.states.values():
            way_out = self.transitions_from(s.name)
            if s.terminal and way_out:
                found.append(f"terminal state {s.name!r} has a way out: {way_out[0].name}")
            if not s.terminal and not way_out:
                found.append(f"state {s.name!r} is not terminal but has no way out")
        names = set(self.transition_names())
        for kind in self.deadlines.values():
            where = f"deadline {kind.name!r}"
            if kind.fires is not None and kind.fires not in names:
                found.append(f"{where}: fires unknown transition {kind.fires!r}")
            fired = self.any_transition(kind.fires) if kind.fires is not None else None
            if fired is not None and Role.system not in fired.roles:
                found.append(f"{where}: fires {kind.fires!r}, which the role system may not fire")
            if kind.fires is None and not kind.while_in and not kind.round:
                found.append(
                    f"{where}: neither fires a transition nor says while_in which states it flags"
                )
            found += [
                f"{where}: unknown state {s!r} in while_in"
                for s in kind.while_in
                if s not in self.states
            ]
        for state, names_ in self.creation_effects.items():
            if state not in self.entry_states:
                found.append(f"creation_effects: {state!r} is not an entry state")
            found += [
                f"creation_effects.{state}: effect {e!r} is not implemented"
                for e in names_
                if e not in effects
            ]
        for name in self.transition_names():
            shapes = {
                (t.roles, tuple((i.name, i.type, i.required) for i in t.inputs))
                for t in self.transitions
                if t.name == name
            }
            if len(shapes) > 1:
                found.append(f"transition {name!r} is declared with different roles or inputs")
        return found


def parse_lifecycle(raw: Mapping[str, Any]) -> Lifecycle:
    """The typed lifecycle from a raw definition; raises ValueError on a malformed one."""
    try:
        states = {
            name: StateSpec(
                name=name,
                label=dict(spec.get("label", {})),
                terminal=bool(spec.get("terminal", False)),
                description=spec.get("description", ""),
            )
            for name, spec in raw["states"].items()
        }
        transitions = tuple(_parse_transition(t) for t in raw["transitions"])
        deadlines = {
            name: DeadlineKind(
                name=name,
                label=dict(spec.get("label", {})),
                fires=spec.get("fires"),
                while_in=tuple(spec.get("while_in", ())),
                notify=spec.get("notify"),
                round=bool(spec.get("round", False)),
                message=dict(spec.get("message", {})),
            )
            for name, spec in raw.get("deadlines", {}).items()
        }
        return Lifecycle(
            name=raw["name"],
            states=states,
            transitions=transitions,
            entry_states=tuple(raw["entry_states"]),
            deadlines=deadlines,
            creation_effects={k: tuple(v) for k, v in raw.get("creation_effects", {}).items()},
            version=int(raw.get("version", 1)),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed lifecycle definition: missing or wrong {exc}") from exc


def _parse_transition(raw: Mapping[str, Any]) -> TransitionSpec:
    inputs = tuple(
        InputSpec(
            name=name,
            type=spec["type"],
            required=bool(spec.get("required", False)),
            label=dict(spec.get("label", {})),
            choices=tuple(spec.get("choices", ())),
        )
        for name, spec in raw.get("inputs", {}).items()
    )
    for spec in inputs:
        if spec.type == "choice" and not spec.choices:
            raise ValueError(
                f"transition {raw['name']!r}: choice input {spec.name!r} lists no choices"
            )
        if spec.type not in INPUT_TYPES:
            raise ValueError(
                f"transition {raw['name']!r}: input {spec.name!r} has unknown type {spec.type!r}"
            )
    return TransitionSpec(
        name=raw["name"],
        sources=tuple(raw["from"]),
        dest=raw["to"],
        roles=frozenset(Role(r) for r in raw["roles"]),
        guards=tuple(raw.get("guards", ())),
        effects=tuple(raw.get("effects", ())),
        inputs=inputs,
        label=dict(raw.get("label", {})),
        input_model=_input_model(raw["name"], inputs),
    )


def _input_model(transition: str, inputs: tuple[InputSpec, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in inputs:
        kind = INPUT_TYPES[spec.type]
        if spec.required and spec.type == "text":
            kind = Annotated[
                str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
            ]
        if spec.type == "choice":
            kind = Literal[spec.choices]
        fields[spec.name] = (kind, ...) if spec.required else (kind | None, None)
    return create_model(
        f"{transition}_inputs",
        __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
        **fields,
    )


def load_lifecycle(name: str = "grant_lifecycle") -> Lifecycle:
    return parse_lifecycle(load_definition(name))
