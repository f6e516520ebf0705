"""The audit table stored compactly (migrations 0025, 0026 and 0028): packed payloads, raw
hashes, integer times, kinds and roles as numbers."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from importlib import resources

import zstandard
from alembic import command
from sqlalchemy import text

from services.storage.audit_codes import KIND_CODES, NO_CODE, ROLE_CODES
from services.storage.audit_encoding import CURRENT_PACKING, PACKINGS, pack, unpack
from services.storage.audit_log import EventFilter
from services.storage.migrate import alembic_config
from services.storage.types import from_microseconds, microseconds
from tests.support import Api, chain_of, edit_stored_payload, stored_payload
from workflow.actors import Role
from workflow.audit_chain import hash_of
from workflow.statuses import EventKind


def some_history(api: Api, cases: int = 3) -> None:
    for i in range(cases):
        case = api.create_case("knivsta", "delmos-2018", f"Ärende {i} – åäö")
        api.move("caseworker", case["id"], "invite", note="Välkommen")


def guard_aside(conn, sqlite: bool) -> None:  # type: ignore[no-untyped-def]
    if sqlite:
        conn.execute(text("DROP TRIGGER audit_event_no_update"))
    else:
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))


def test_a_payload_packs_and_unpacks_to_the_same_text() -> None:
    for payload in ("", '{"a":1}', '{"reason":"Ärende – åäö ✓"}' * 50):
        for packing in PACKINGS:
            packed = pack(payload, packing)
            assert packed[0] == packing and unpack(packed) == payload
        assert pack(payload)[0] == CURRENT_PACKING == 2
    assert len(pack('{"kind":"transition","role":"caseworker","from_state":null}')) < 40


def test_the_shipped_dictionaries_are_the_pinned_ones_and_are_in_the_database(app) -> None:
    with app.state.services.units.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, sha256, bytes, method FROM audit_dictionary")).all()
    assert sorted(row[0] for row in rows) == sorted(PACKINGS) == [1, 2]
    for number, sha256, stored, method in rows:
        packing = PACKINGS[number]
        shipped = resources.files("services.storage").joinpath(packing.file).read_bytes()
        assert hashlib.sha256(shipped).hexdigest() == packing.sha256 == sha256
        assert bytes(stored) == shipped and method == packing.method
    assert [PACKINGS[1].method, PACKINGS[2].method] == ["deflate", "zstd"]


def test_damaged_bytes_read_as_a_marker_which_verification_reports(api: Api, app) -> None:
    assert unpack(b"\x01\xff\xff\xff").startswith("[stored payload unreadable: ")
    assert unpack(b"\x07abc").startswith("[stored payload unreadable: ")
    assert unpack(b"\x02\xff\xff\xff").startswith("[stored payload unreadable: ")
    for packing in PACKINGS:
        assert unpack(pack("text", packing)[:-1]).startswith("[stored payload unreadable: ")
    some_history(api)
    db = app.state.services.units.db
    with db.engine.begin() as conn:
        guard_aside(conn, db.is_sqlite)
        conn.execute(text("UPDATE audit_event SET payload = :p WHERE seq = 3"), {"p": b"\x01junk"})
    result = chain_of(app)
    assert not result.ok and result.first_bad_seq == 3


def test_an_edited_stored_payload_is_named_by_verification(api: Api, app) -> None:
    some_history(api)
    db = app.state.services.units.db
    with db.engine.begin() as conn:
        guard_aside(conn, db.is_sqlite)
        edit_stored_payload(conn, 4, lambda payload: payload.replace('"seq":4', '"seq": 4'))
        assert '"seq": 4' in stored_payload(conn, 4)
    result = chain_of(app)
    assert not result.ok and result.first_bad_seq == 4


def test_hashes_are_stored_as_32_bytes_and_times_as_the_database_keeps_them(api: Api, app) -> None:
    some_history(api, cases=1)
    db = app.state.services.units.db
    with db.engine.connect() as conn:
        hash, payload, at = conn.execute(
            text("SELECT hash, payload, at FROM audit_event ORDER BY seq DESC LIMIT 1")
        ).one()
        head = conn.execute(text("SELECT hash, at FROM audit_head WHERE id = 1")).one()
    assert len(bytes(hash)) == 32 and bytes(hash).hex() == hash_of(unpack(payload))
    assert bytes(head[0]) == bytes(hash) and head[1] == at
    if db.is_sqlite:
        assert isinstance(at, int) and from_microseconds(at).year >= 2000
    assert chain_of(app).ok


def test_a_search_by_time_finds_the_bounds_without_an_index(api: Api, app, clock) -> None:
    some_history(api, cases=2)
    clock.advance(dt.timedelta(hours=1))
    middle = clock.now()
    some_history(api, cases=2)
    with app.state.services.units.reading() as uow:
        every = uow.audit.search(EventFilter(), 0, 1000)
        later = uow.audit.search(EventFilter(since=middle), 0, 1000)
        earlier = uow.audit.search(EventFilter(until=middle), 0, 1000)
        none = uow.audit.search(EventFilter(since=middle + dt.timedelta(days=1)), 0, 1000)
        first = uow.audit.search(EventFilter(since=every[0].at, until=every[1].at), 0, 1000)
        last = uow.audit.search(EventFilter(since=every[-1].at), 0, 1000)
    assert [e.seq for e in first] == [every[0].seq] and [e.seq for e in last] == [every[-1].seq]
    assert [e.seq for e in later] == [e.seq for e in every if e.at >= middle]
    assert [e.seq for e in earlier] == [e.seq for e in every if e.at < middle]
    assert later and earlier and none == []


def history_migrated_down(api: Api, app, database_url: str, revision: str):  # type: ignore[no-untyped-def]
    """Some history written at head, then the database taken down to `revision`: its
    Database (disposed) and the Alembic config, to come back up with."""
    some_history(api)
    db = app.state.services.units.db
    db.dispose()
    config = alembic_config(database_url)
    command.downgrade(config, revision)
    return db, config


def test_migrating_down_and_up_again_keeps_the_chain_verifiable(
    api: Api, app, database_url: str
) -> None:
    db, config = history_migrated_down(api, app, database_url, "0024")
    with db.engine.connect() as conn:
        payload, hash = conn.execute(
            text("SELECT payload, hash FROM audit_event WHERE seq = 5")
        ).one()
        indexes = conn.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                if db.is_sqlite
                else "SELECT indexname FROM pg_indexes WHERE tablename = 'audit_event'"
            )
        ).scalars()
        assert "ix_audit_event_at" in set(indexes)
    assert isinstance(payload, str) and hash == hash_of(payload)  # stored as before 0025
    db.dispose()
    command.upgrade(config, "head")
    assert chain_of(app).ok
    some_history(api, cases=1)  # and the chain goes on from the converted head
    assert chain_of(app).ok


def read_as_an_auditor(conn, seq: int) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    """The recipe in docs/AUDIT.md, "How the table stores each event": event `seq`'s text and
    stored hash, read with zlib or zstandard alone, as the table `audit_dictionary` says."""
    stored, hash = conn.execute(
        text("SELECT payload, hash FROM audit_event WHERE seq = :seq"), {"seq": seq}
    ).one()
    packings = {
        number: (method, bytes(content))
        for number, method, content in conn.execute(
            text("SELECT id, method, bytes FROM audit_dictionary")
        )
    }
    stored = bytes(stored)
    method, content = packings[stored[0]]
    if method == "deflate":
        reader = zlib.decompressobj(-15, zdict=content)
        payload = reader.decompress(stored[1:]) + reader.flush()
    else:  # "zstd": a frame without its magic number, which the zstd tool wants back in front
        raw = zstandard.ZstdCompressionDict(content, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        magic = zstandard.MAGIC_NUMBER.to_bytes(4, "little")
        payload = zstandard.ZstdDecompressor(dict_data=raw).decompress(magic + stored[1:])
    return payload.decode("utf-8"), bytes(hash)


def test_an_auditor_reads_a_payload_with_zstandard_alone(api: Api, app) -> None:
    some_history(api, cases=1)
    with app.state.services.units.db.engine.connect() as conn:
        assert bytes(stored_bytes(conn, 2)[:1]) == b"\x02"
        payload, hash = read_as_an_auditor(conn, 2)
    assert hashlib.sha256(payload.encode("utf-8")).digest() == hash
    assert '"seq":2' in payload


def stored_bytes(conn, seq: int) -> bytes:  # type: ignore[no-untyped-def]
    query = text("SELECT payload FROM audit_event WHERE seq = :seq")
    return bytes(conn.execute(query, {"seq": seq}).scalar_one())


def test_events_packed_before_zstandard_stay_readable_and_go_back_when_migrated_down(
    api: Api, app, database_url: str
) -> None:
    db, config = history_migrated_down(api, app, database_url, "0025")
    with db.engine.connect() as conn:
        count = conn.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
        assert {stored_bytes(conn, seq)[0] for seq in range(1, count + 1)} == {1}
        assert conn.execute(text("SELECT count(*) FROM audit_dictionary")).scalar_one() == 1
        for seq, hash in conn.execute(text("SELECT seq, hash FROM audit_event")).all():
            text_of = unpack(stored_bytes(conn, seq)).encode("utf-8")
            assert hashlib.sha256(text_of).digest() == bytes(hash)  # as 0025 reads them
    db.dispose()
    command.upgrade(config, "head")
    some_history(api, cases=1)
    with db.engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_event")).scalar_one()
        packed = {seq: stored_bytes(conn, seq)[0] for seq in range(1, last + 1)}
        assert packed[1] == 1 and packed[last] == 2  # the old stay as they were, the new are zstd
        for seq in (1, last):
            payload, hash = read_as_an_auditor(conn, seq)
            assert hashlib.sha256(payload.encode("utf-8")).digest() == hash
    assert chain_of(app).ok


def test_times_convert_exactly_to_microseconds_and_back() -> None:
    for at in (
        dt.datetime(2026, 12, 4, 12, 0, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ):
        assert from_microseconds(microseconds(at)) == at


def test_every_kind_and_role_has_a_number_and_the_database_says_which(app) -> None:
    assert set(KIND_CODES) == {kind.value for kind in EventKind}
    assert set(ROLE_CODES) == {role.value for role in Role}
    for codes in (KIND_CODES, ROLE_CODES):
        assert len(set(codes.values())) == len(codes) and NO_CODE not in codes.values()
    with app.state.services.units.db.engine.connect() as conn:
        stored = conn.execute(text("SELECT column_name, code, name FROM audit_code")).all()
    assert sorted(stored) == sorted(
        [("kind", code, name) for name, code in KIND_CODES.items()]
        + [("role", code, name) for name, code in ROLE_CODES.items()]
    )


def test_kind_and_role_are_stored_as_numbers_and_searched_by_name(api: Api, app) -> None:
    some_history(api, cases=1)
    with app.state.services.units.db.engine.connect() as conn:
        kind, role = conn.execute(
            text("SELECT kind, role FROM audit_event WHERE transition = 'invite'")
        ).one()
    assert (kind, role) == (KIND_CODES["transition"], ROLE_CODES["caseworker"])
    with app.state.services.units.reading() as uow:
        found = uow.audit.search(EventFilter(role="caseworker", kind="transition"), 0, 100)
        nobody = uow.audit.search(EventFilter(role="no such role"), 0, 100)
    assert [(e.kind, e.role, e.transition) for e in found] == [
        ("transition", "caseworker", "invite")
    ]
    assert nobody == []
    db = app.state.services.units.db
    with db.engine.begin() as conn:  # a role changed in the column alone is an edit too
        guard_aside(conn, db.is_sqlite)
        conn.execute(
            text("UPDATE audit_event SET role = :admin WHERE seq = :seq"),
            {"admin": ROLE_CODES["admin"], "seq": found[0].seq},
        )
    result = chain_of(app)
    assert not result.ok and result.first_bad_seq == found[0].seq


def test_kind_and_role_go_back_to_words_when_migrated_down(api: Api, app, database_url: str):  # type: ignore[no-untyped-def]
    db, config = history_migrated_down(api, app, database_url, "0027")
    with db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT kind, role FROM audit_event WHERE transition = 'invite'")
        ).all()
    assert set(stored) == {("transition", "caseworker")}
    db.dispose()
    command.upgrade(config, "head")
    assert chain_of(app).ok
    some_history(api, cases=1)
    assert chain_of(app).ok
