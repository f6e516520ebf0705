"""Everything the service knows from files at start-up: the lifecycle, its engine, the programmes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workflow.engine import Engine
from workflow.lifecycle import Lifecycle, load_lifecycle
from workflow.notices import NoticeRules, load_notice_rules
from workflow.programmes import (
    ProgrammeConfig,
    ProgrammeError,
    ProgrammeFile,
    load_programmes,
    parse_programme,
)
from workflow.registry import RegistryRules, load_registry_rules


@dataclass(frozen=True)
class Catalogue:
    lifecycle: Lifecycle
    engine: Engine
    programmes: dict[str, ProgrammeFile]
    # Files that could not be loaded, by name, with why: their programmes do not run.
    broken: dict[str, list[str]] = field(default_factory=dict)
    notices: NoticeRules = field(default_factory=lambda: NoticeRules({}))
    # What is registered with a number, and as what (states/registry.toml).
    registry: RegistryRules = field(default_factory=lambda: load_registry_rules(()))

    def programme(self, code: str) -> ProgrammeConfig | None:
        found = self.programmes.get(code)
        return found.programme if found else None

    def parse(self, name: Path, data: bytes) -> ProgrammeFile:
        """A programme file's bytes, from the folder, the database or a request, checked as
        every programme file is against this lifecycle; ProgrammeError names what is wrong."""
        return parse_programme(
            name,
            data,
            self.lifecycle.entry_states,
            self.lifecycle.deadlines,
            notice_names(self.lifecycle),
            transition_guards(self.lifecycle),
        )


def load_catalogue(programmes_dir: Path, *, strict: bool = True) -> Catalogue:
    """Read and check every definition. A broken lifecycle always raises; a broken programme
    file raises when `strict`, and otherwise leaves only its own programme out (in `broken`)."""
    lifecycle = load_lifecycle()
    names = notice_names(lifecycle)
    programmes, broken = load_programmes(
        programmes_dir,
        lifecycle.entry_states,
        lifecycle.deadlines,
        names,
        transition_guards(lifecycle),
    )
    if strict and broken:
        raise ProgrammeError(
            programmes_dir, [f"{name}: {'; '.join(problems)}" for name, problems in broken.items()]
        )
    return Catalogue(
        lifecycle,
        Engine(lifecycle),
        programmes,
        broken,
        load_notice_rules(names),
        load_registry_rules(lifecycle.transition_names()),
    )


def notice_names(lifecycle: Lifecycle) -> set[str]:
    """What a notification rule may be about: a transition or a deadline kind."""
    return {t.name for t in lifecycle.transitions} | set(lifecycle.deadlines)


def transition_guards(lifecycle: Lifecycle) -> dict[str, set[str]]:
    """Each transition's guards, all its declarations together: what a programme's checklist
    may gate (only those that name `checklist_complete`)."""
    found: dict[str, set[str]] = {}
    for t in lifecycle.transitions:
        found.setdefault(t.name, set()).update(t.guards)
    return found
