"""Every page, timed over HTTP with many cases in the database.

    python bench/pages.py [--cases 10000] [--requests 40] [--results bench/RESULTS.md]

Generates the cases (plus the demo's), serves the app with uvicorn, signs in as a caseworker and
times each page: median and p95 in milliseconds, against DESIGN's bar of 200 ms, and as a ratio to
a bare FastAPI + SQLModel endpoint reading one row, served the same way in the same run. With
--results, the table is also appended to that file (make bench adds it to bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import baseline_app
from bench.deadlines import generate, service
from bench.transition import server
from services.demo import load_demo
from services.storage.migrate import upgrade

BAR_MS = 200.0


def timed(client: httpx.Client, path: str, runs: int) -> tuple[float, float]:
    client.get(path)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--results", type=Path, help="a Markdown file to append the table to")
    args = parser.parse_args()
    lines: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/grantflow.db"
        upgrade(url)
        cases = service(url)
        load_demo(url, cases.catalogue, Path(tmp))
        generate(cases, args.cases)
        some_case = args.cases // 2
        baseline_app.prepare(f"sqlite:///{tmp}/baseline.db")
        with (
            server(
                "bench.baseline_app:create_app",
                {"BASELINE_DATABASE_URL": f"sqlite:///{tmp}/baseline.db"},
            ) as base,
            httpx.Client(base_url=base) as client,
        ):
            baseline_median, _ = timed(client, "/counters/1", args.requests)
        pages = {
            "inbox": "/ui/inbox",
            "inbox, filtered and sorted": "/ui/inbox?programme=dua-2021&state=implementation_granted&sort=requested_amount&dir=desc&page=3",
            "inbox, needs me": "/ui/inbox?needs_me=true",
            "case page": f"/ui/cases/{some_case}",
            "history page": f"/ui/cases/{some_case}/history",
            "history, as of a date": f"/ui/cases/{some_case}/history?as_of=2030-01-01T00:00:00",
            "programme dashboard": "/ui/programmes/dua-2021",
            "lifecycle diagram": "/ui/lifecycle",
        }
        env = {"GRANTFLOW_DATABASE_URL": url, "GRANTFLOW_RUN_SCHEDULER": "false"}
        with (
            server("services.api.app:create_app", env) as base,
            httpx.Client(base_url=base) as client,
        ):
            form = client.get("/ui/signin").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            signed = client.post(
                "/ui/signin", data={"token": "demo-caseworker", "csrf": csrf, "next": "/ui/inbox"}
            )
            assert signed.status_code in (200, 303), signed.text
            lines += [
                "## Pages",
                "",
                f"Every page over HTTP with {args.cases + 7:,} cases on SQLite, signed in as a caseworker, {args.requests} requests each;",
                f"the bare endpoint reading one row took {baseline_median:.1f} ms (median) in the same run.",
                "",
                f"| page | median ms | p95 ms | median / bare | bar: p95 under {BAR_MS:.0f} ms |",
                "|---|---|---|---|---|",
            ]
            for name, path in pages.items():
                median, p95 = timed(client, path, args.requests)
                verdict = "holds" if p95 < BAR_MS else "missed"
                lines.append(
                    f"| {name} | {median:.1f} | {p95:.1f} | {median / baseline_median:.1f}x | {verdict} |"
                )
                print(lines[-1], flush=True)
    lines += ["", f"The pages run took {time.monotonic() - started:.0f} s."]
    print("\n".join(lines))
    if args.results:
        with args.results.open("a", encoding="utf-8") as out:
            out.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
