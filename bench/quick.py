"""The quick check of the transition bars (make bench-quick, a few minutes): rates over HTTP
against the lean and the naive endpoints, and the statements a transition sends, on SQLite and
on PostgreSQL, each printed with its target and whether it holds.

    python bench/quick.py [--requests 1200] [--postgres-url URL] [--only sqlite|postgresql]

Targets (issue 16): an audited transition over HTTP on SQLite at >= 0.4x the lean endpoint's
rate; on PostgreSQL >= 2x the naive endpoint's; at most 8 statements per transition, token check
included. The rates are measured side by side in rounds that alternate between the servers.
Beside them, with no target, grantflow's cheapest authenticated request (`GET /cases/{id}`: the
token, one read, the answer) in the same rounds: no transition costs less, so it shows how much
of the lean endpoint's rate the request path leaves before a transition does anything.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.deadlines import drop_databases, fresh_database
from bench.statements import BUDGET, statements_sent
from bench.transition import DECISION, Rates, one_run, prepare_grantflow
from config.settings import Settings
from services.api.app import create_app

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LEAN_SHARE = 0.4  # of the lean endpoint's rate, on SQLite
NAIVE_MULTIPLE = 2.0  # of the naive endpoint's rate, on PostgreSQL


def holds(ok: bool) -> str:
    return "holds" if ok else "missed"


def statement_counts(url: str, tmp: str) -> dict[str, int]:
    """Statements per transition, counted in process on the app's own engine: an approver
    proposes and returns on one case after doing the same on another (a worker's warm state)."""
    token, groups = prepare_grantflow(url, cases_per_client=2, clients=1)
    settings = Settings(
        environment="test", database_url=url, data_dir=Path(tmp), run_scheduler=False
    )
    app = create_app(settings)
    auth = {"Authorization": f"Bearer {token}"}
    counts: dict[str, int] = {}
    with TestClient(app) as client:
        for n, case_id in enumerate(groups[0]):
            for name, body in (
                ("propose_implementation_grant", DECISION),
                ("return_proposal", {"reason": "bench"}),
            ):
                with statements_sent(app.state.services.units.db.engine) as sent:
                    response = client.post(
                        f"/cases/{case_id}/transitions/{name}", json=body, headers=auth
                    )
                assert response.status_code == 200, response.text
                if n == len(groups[0]) - 1:
                    counts[name] = len(sent)
    return counts


def read_floor_line(rates: Rates) -> str:
    """The cheapest authenticated request beside the lean endpoint: a floor, with no target."""
    assert rates.lean is not None and rates.read is not None
    return (
        f"| one authenticated read, GET /cases/{{id}}, {rates.workers} worker, {rates.clients} clients"
        f" | {rates.read:.0f}/s | lean endpoint {rates.lean:.0f}/s | {rates.read / rates.lean:.2f}x"
        " | none: no transition costs less |"
    )


def run(database: str, pg: str | None, requests: int) -> list[str]:
    lines = [f"## {database}", ""]
    with tempfile.TemporaryDirectory() as tmp:
        counts = statement_counts(fresh_database(tmp, "statements", pg), tmp)
        rates: Rates = one_run(
            requests,
            4,
            fresh_database(tmp, "quick", pg),
            fresh_database(tmp, "naive", pg, migrate=False),
            lean_url=fresh_database(tmp, "lean", pg, migrate=False),
            read_floor=True,
        )
    assert rates.lean is not None
    lines += [
        "| measure | figure | baseline in this run | ratio | target |",
        "|---|---|---|---|---|",
    ]
    lean_share = rates.grantflow / rates.lean
    naive_multiple = rates.grantflow / rates.naive
    lean_ok = lean_share >= LEAN_SHARE if pg is None else None
    naive_ok = naive_multiple >= NAIVE_MULTIPLE if pg is not None else None
    lines.append(
        f"| audited transitions over HTTP, 1 worker, 4 clients | {rates.grantflow:.0f}/s | lean endpoint {rates.lean:.0f}/s | {lean_share:.2f}x | "
        + (
            f">= {LEAN_SHARE}x: {holds(bool(lean_ok))}"
            if lean_ok is not None
            else "none on PostgreSQL"
        )
        + " |"
    )
    lines.append(
        f"| audited transitions over HTTP, 1 worker, 4 clients | {rates.grantflow:.0f}/s | naive endpoint {rates.naive:.0f}/s | {naive_multiple:.2f}x | "
        + (
            f">= {NAIVE_MULTIPLE}x: {holds(bool(naive_ok))}"
            if naive_ok is not None
            else "none on SQLite"
        )
        + " |"
    )
    lines.append(read_floor_line(rates))
    for name, count in counts.items():
        lines.append(
            f"| statements for one {name} | {count} | budget {BUDGET} | {count / BUDGET:.2f}x | <= {BUDGET}: {holds(count <= BUDGET)} |"
        )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--postgres-url", default=POSTGRES)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    started = time.monotonic()
    out: list[str] = []
    if args.only != "postgresql":
        out += run("SQLite", None, args.requests)
        print("\n".join(out[-9:]), flush=True)
    if args.only != "sqlite":
        try:
            out += run("PostgreSQL", args.postgres_url, args.requests)
        finally:
            drop_databases(args.postgres_url)
    print()
    print("\n".join(out))
    print(f"bench-quick took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
