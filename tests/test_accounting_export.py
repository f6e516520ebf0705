"""The accounting export: a programme's payments and repayments as an SIE 4 file and as CSV,
read back by a reader of its own here (never the writer's code), balanced, on the programme
file's accounts, and agreeing with the programme's snapshot."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import Api
from workflow.clock import SettableClock
from workflow.programmes import ProgrammeError, parse_programme

PROGRAMME = "delmos-2018"
FILE = Path("config/programmes/delmos-2018.toml")
DECISION = {
    "period_start": "2018-09-01",
    "period_end": "2019-06-30",
    "conditions": "Enligt ansökan",
}


# --- An SIE 4 reader written from the specification (SIE 4B, sections 5 and 8), apart from the
# writer: lines of records, fields split on spaces and tabs, a quoted field with \" inside it,
# an object list in braces, a voucher's rows between a line "{" and a line "}".


def fields(line: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(line):
        c = line[i]
        if c in " \t":
            i += 1
        elif c == '"':
            i += 1
            text = ""
            while line[i] != '"':
                if line[i] == "\\":
                    i += 1
                text += line[i]
                i += 1
            out.append(text)
            i += 1
        elif c == "{":
            end = line.index("}", i)
            out.append(line[i : end + 1])
            i = end + 1
        else:
            start = i
            while i < len(line) and line[i] not in " \t":
                i += 1
            out.append(line[start:i])
    return out


@dataclass
class Ver:
    series: str
    number: int
    date: dt.date
    text: str
    rows: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class SieFile:
    records: list[list[str]] = field(default_factory=list)  # label first, outside vouchers
    accounts: dict[str, str] = field(default_factory=dict)
    vouchers: list[Ver] = field(default_factory=list)

    def first(self, label: str) -> list[str]:
        return next(r[1:] for r in self.records if r[0] == label)


def read_sie(data: bytes) -> SieFile:
    text = data.decode("cp437")
    assert "\r\n" in text, "SIE 4B: records end with CR LF"
    sie = SieFile()
    open_ver: Ver | None = None
    in_braces = False
    for line in text.split("\r\n"):
        if not line.strip():
            continue
        assert all(ord(c) >= 32 for c in line), f"a control character in {line!r}"
        if line.strip() == "{":
            assert open_ver is not None and not in_braces
            in_braces = True
            continue
        if line.strip() == "}":
            assert in_braces
            in_braces, open_ver = False, None
            continue
        parts = fields(line)
        label = parts[0]
        assert label.startswith("#"), line
        if in_braces:
            assert label == "#TRANS" and open_ver is not None
            account, objects, amount = parts[1], parts[2], parts[3]
            assert objects.startswith("{") and objects.endswith("}")
            assert "," not in amount and len(amount.split(".")[-1]) <= 2
            open_ver.rows.append((account, Decimal(amount)))
        elif label == "#VER":
            date = dt.datetime.strptime(parts[3], "%Y%m%d").date()
            open_ver = Ver(parts[1], int(parts[2]), date, parts[4])
            sie.vouchers.append(open_ver)
        elif label == "#KONTO":
            sie.accounts[parts[1]] = parts[2]
        else:
            sie.records.append(parts)
    assert not in_braces, "a voucher's braces are not closed"
    return sie


def test_the_reader_reads_quotes_and_braces_as_the_specification_writes_them() -> None:
    assert fields('#VER A 1 20180301 "Utbetalning \\"x\\" B" 20180301') == [
        "#VER", "A", "1", "20180301", 'Utbetalning "x" B', "20180301"
    ]  # fmt: skip
    assert fields("#TRANS 1930 {} -1.50") == ["#TRANS", "1930", "{}", "-1.50"]


# --- A Delmos case paid twice and repaid once, on days a year apart.


def run_case(api: Api, clock: SettableClock) -> int:
    case = api.create_case("knivsta", PROGRAMME, "Kartläggning av segregation")["id"]

    def at(day: str, who: str, name: str, **inputs: object) -> None:
        clock.set(dt.datetime.fromisoformat(day + "T10:00:00+01:00"))
        api.move(who, case, name, **inputs)

    at("2018-01-10", "caseworker", "invite", note="I linje med syftet")
    at("2018-01-20", "knivsta", "apply_mapping", requested_amount="400000")
    at("2018-02-01", "caseworker", "propose_mapping_grant", amount="350000", **DECISION)
    at("2018-03-01", "approver", "grant_mapping")  # paid up front: 350 000
    at("2018-04-01", "knivsta", "submit_plan", summary="Behovsanalys och plan")
    at("2018-04-02", "knivsta", "apply_implementation", requested_amount="1500000")
    at("2018-05-01", "caseworker", "propose_implementation_grant", amount="1200000", **DECISION)
    at("2018-09-14", "approver", "grant_implementation")  # 1 200 000
    at("2019-07-01", "caseworker", "end_period")
    at("2019-07-10", "knivsta", "submit_final_report", reported_costs="1500000")
    at("2019-08-01", "caseworker", "accept_final_report", eligible_spent="1400000")
    at("2019-08-02", "caseworker", "claim_repayment")
    at("2019-09-20", "caseworker", "register_payment", amount="150000")  # 150 000 back
    return case


@pytest.fixture
def paid(api: Api, clock: SettableClock) -> int:
    return run_case(api, clock)


def sie(api: Api, first: str, last: str, who: str = "auditor") -> SieFile:
    response = api.get(
        who, f"/programmes/{PROGRAMME}/accounting.sie", params={"from": first, "to": last}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=IBM437"
    return read_sie(response.content)


def programme_accounts() -> dict[str, str]:
    books = parse_programme(FILE, FILE.read_bytes(), ["interest_registered"]).programme.accounting
    assert books is not None
    return {a.number: a.name for a in (books.grant_expense, books.bank, books.repayments)}


def test_the_sie_file_is_type_4_in_pc8_with_every_voucher_balanced_on_the_files_accounts(
    api: Api, paid: int
) -> None:
    read = sie(api, "2018-01-01", "2018-12-31")
    assert read.records[0] == ["#FLAGGA", "0"]
    assert read.first("#FORMAT") == ["PC8"] and read.first("#SIETYP") == ["4"]
    assert read.first("#FNAMN") == ["Delegationen mot segregation"]
    assert read.first("#VALUTA") == ["SEK"]
    assert [r[1:] for r in read.records if r[0] == "#RAR"] == [["0", "20180101", "20181231"]]
    assert read.first("#PROGRAM")[0] == "grantflow"
    # The accounts are the programme file's, names and all (ä through code page 437).
    assert read.accounts == programme_accounts()
    assert read.accounts["8400"] == "Lämnade bidrag"
    later = sie(api, "2019-01-01", "2019-12-31")
    assert later.first("#RAR") == ["0", "20190101", "20191231"]
    assert len(read.vouchers) == 2 and len(later.vouchers) == 1
    for ver in read.vouchers + later.vouchers:
        assert sum(amount for _, amount in ver.rows) == 0, ver
        assert {account for account, _ in ver.rows} <= set(read.accounts)
    pay, pay2, back = read.vouchers + later.vouchers
    assert (pay.series, pay.number, pay.date) == ("B", 1, dt.date(2018, 3, 1))
    assert pay.rows == [("8400", Decimal("350000.00")), ("1930", Decimal("-350000.00"))]
    assert (pay2.number, pay2.date) == (2, dt.date(2018, 9, 14))
    assert (back.number, back.date) == (1, dt.date(2019, 9, 20))  # numbered anew each year
    assert back.rows == [("1930", Decimal("150000.00")), ("8400", Decimal("-150000.00"))]
    reference = api.get("auditor", f"/cases/{paid}").json()
    assert pay.text == f"Utbetalning {reference['reference']} {reference['registry_number']}"
    # Å, ä and ö survive the round trip through code page 437.
    assert back.text.startswith("Återbetalning DELMOS-18-")


def test_totals_up_to_a_date_equal_the_programmes_snapshot_then(
    api: Api, clock: SettableClock, paid: int
) -> None:
    api.create_case("heby", PROGRAMME, "Ännu inte beviljad")  # no money: in neither total
    for last in ("2018-02-28", "2018-03-01", "2018-12-31", "2019-09-19", "2019-09-20"):
        # One SIE file a year, from the programme's first year to the date.
        years = range(2017, int(last[:4]) + 1)
        files = [sie(api, f"{y}-01-01", min(f"{y}-12-31", last)) for y in years]
        rows = [row for f in files for v in f.vouchers for row in v.rows]
        paid_out = sum(-a for acc, a in rows if acc == "1930" and a < 0)
        paid_back = sum(a for acc, a in rows if acc == "1930" and a > 0)
        snap = api.get(
            "auditor", f"/programmes/{PROGRAMME}/snapshot", params={"as_of": last}
        ).json()["cases"]
        assert paid_out == sum(Decimal(c["disbursed_amount"]) for c in snap), last
        assert paid_back == sum(Decimal(c["repaid_amount"]) for c in snap), last


def test_a_vouchers_number_does_not_depend_on_the_range_asked_for(api: Api, paid: int) -> None:
    whole = sie(api, "2018-01-01", "2018-12-31").vouchers
    autumn = sie(api, "2018-09-01", "2018-12-31").vouchers
    assert [(v.number, v.date, v.rows) for v in autumn] == [
        (v.number, v.date, v.rows) for v in whole if v.date.month >= 9
    ]
    assert [v.number for v in autumn] == [2]
    assert sie(api, "2020-01-01", "2020-12-31").vouchers == []


def test_the_csv_carries_the_same_figures(api: Api, paid: int) -> None:
    response = api.get(
        "caseworker",
        f"/programmes/{PROGRAMME}/accounting.csv",
        params={"from": "2018-01-01", "to": "2019-12-31"},
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    vouchers = [v for y in (2018, 2019) for v in sie(api, f"{y}-01-01", f"{y}-12-31").vouchers]
    assert [
        (r["series"], int(r["number"]), r["date"], r["text"], r["debit_account"]) for r in rows
    ] == [(v.series, v.number, v.date.isoformat(), v.text, v.rows[0][0]) for v in vouchers]
    assert [Decimal(r["amount"]) for r in rows] == [v.rows[0][1] for v in vouchers]
    assert [r["credit_account"] for r in rows] == [v.rows[1][0] for v in vouchers]
    assert [r["kind"] for r in rows] == ["payment", "payment", "repayment"]
    assert {r["currency"] for r in rows} == {"SEK"}


@pytest.mark.parametrize(
    ("first", "last", "suffixes"),
    [
        ("2019-01-01", "2018-12-31", ("sie", "csv")),
        ("2018-13-01", "2018-12-31", ("sie", "csv")),
        ("x", "y", ("sie", "csv")),
        ("2018-01-01", "2019-12-31", ("sie",)),  # an SIE file holds one fiscal year
    ],
)
def test_a_bad_range_is_an_rfc_9457_problem(
    api: Api, first: str, last: str, suffixes: tuple[str, ...]
) -> None:
    for suffix in suffixes:
        response = api.get(
            "auditor",
            f"/programmes/{PROGRAMME}/accounting.{suffix}",
            params={"from": first, "to": last},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 422


def test_star_is_danish_its_ledger_takes_csv_and_sie_is_refused_saying_why(api: Api) -> None:
    code = "star-flere-skal-med-2017"
    params = {"from": "2017-01-01", "to": "2018-12-31"}
    refused = api.get("auditor", f"/programmes/{code}/accounting.sie", params=params)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("no-accounting")
    assert "csv only" in refused.json()["detail"]
    assert api.get("auditor", f"/programmes/{code}/accounting.csv", params=params).is_success


def test_an_applicant_and_an_approver_may_not_export(api: Api) -> None:
    params = {"from": "2018-01-01", "to": "2018-12-31"}
    for who in ("knivsta", "approver"):
        got = api.get(who, f"/programmes/{PROGRAMME}/accounting.csv", params=params)
        assert got.status_code == 403, who


def with_accounting(old: str, new: str) -> bytes:
    text = FILE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new).encode("utf-8")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'bank = { number = "1930"',
            'bank = { number = "8400"',
            "accounting: Value error, the bank account must differ",
        ),
        ('series = "B"', 'series = "BB"', "accounting.series"),
        ('agency = "Delegationen mot segregation"', 'agency = "Delegation ∑"', "code page 437"),
        ('chart = "STATLIG"', 'chart = "STATLIG"\nledger = "x"', "accounting.ledger: unknown key"),
        ('number = "8400", name = "Lämnade', 'number = "84", name = "Lämnade', "number"),
    ],
)
def test_the_accounting_section_is_checked_like_every_key(old: str, new: str, problem: str) -> None:
    with pytest.raises(ProgrammeError) as refused:
        parse_programme(FILE, with_accounting(old, new), ["interest_registered"])
    assert problem in str(refused.value)


def test_a_text_with_quotes_and_backslashes_reads_back_as_written() -> None:
    from workflow.sie import field as written  # the writer's quoting, read by the reader above

    text = 'Bidrag "Nya vägar" C:\\ \\'
    assert fields(f"#VER B 1 20180301 {written(text)} 20180301")[4] == text
