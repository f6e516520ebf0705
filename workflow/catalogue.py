"""Everything the service knows from files at start-up: the lifecycle, its engine, the programmes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workflow.engine import Engine
from workflow.lifecycle import Lifecycle, load_lifecycle
from workflow.programmes import ProgrammeConfig, ProgrammeFile, load_programmes


@dataclass(frozen=True)
class Catalogue:
    lifecycle: Lifecycle
    engine: Engine
    programmes: dict[str, ProgrammeFile]

    def programme(self, code: str) -> ProgrammeConfig | None:
        found = self.programmes.get(code)
        return found.programme if found else None


def load_catalogue(programmes_dir: Path) -> Catalogue:
    """Read and check every definition; raises with the file, the key and why if any is broken."""
    lifecycle = load_lifecycle()
    return Catalogue(
        lifecycle=lifecycle,
        engine=Engine(lifecycle),
        programmes=load_programmes(programmes_dir, lifecycle.entry_states, lifecycle.deadlines),
    )
