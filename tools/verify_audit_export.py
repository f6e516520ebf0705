#!/usr/bin/env python3
"""Check a grantflow audit export without grantflow, with the standard library only, as
docs/AUDIT.md says. Exits 0 when every line verifies, 1 naming the first line that does not."""

import argparse
import hashlib
import json
import sys
import unicodedata
from pathlib import Path

GENESIS = "0" * 64
JSON = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False, "allow_nan": False}


def no_float(text):
    raise ValueError(f"a float ({text}): encoding 2 has none")


def fail(message):
    sys.exit(print(f"FAIL: {message}") or 1)


def read(path):
    return json.loads(path.read_text(encoding="utf-8"))


def event_of(raw):  # encoding 1 (no `encoding` key): text as it came; 2: in NFC, no floats
    text = raw.decode("utf-8")
    event = json.loads(text)
    if isinstance(event, dict) and event.get("encoding", 1) != 1:
        assert event["encoding"] == 2, f"unknown encoding {event['encoding']!r}"
        json.loads(text, parse_float=no_float)
        assert unicodedata.is_normalized("NFC", text), "text not in NFC"
    assert isinstance(event, dict) and json.dumps(event, **JSON) == text, "not canonical"
    return event


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("export", type=Path, help="folder holding events.jsonl and manifest.json")
    parser.add_argument("--continues", type=Path, help="an earlier export this one must continue")
    parser.add_argument("--head", type=Path, help="a signed head whose event must hash the same")
    args = parser.parse_args()
    manifest = read(args.export / "manifest.json")
    data = (args.export / "events.jsonl").read_bytes()
    if not data.endswith(b"\n"):
        fail("events.jsonl does not end with a newline: it was cut short")
    lines = data[:-1].split(b"\n")
    if len(lines) != manifest["count"]:
        fail(f"the manifest says {manifest['count']} events, the file has {len(lines)} lines")

    prev_hash, seq, hashes = manifest["prev_hash"], manifest["first_seq"] - 1, {}
    if args.continues:
        earlier = read(args.continues / "manifest.json")
        if manifest["first_seq"] != earlier["last_seq"] + 1 or prev_hash != earlier["head_hash"]:
            fail(
                f"this export does not continue {args.continues}: it starts at {manifest['first_seq']} "
                f"after {prev_hash[:16]}…, the earlier one ends at {earlier['last_seq']} with {earlier['head_hash'][:16]}…"
            )
    elif manifest["first_seq"] == 1 and prev_hash != GENESIS:
        fail("an export from the first event must start from the genesis hash (64 zeros)")

    for number, raw in enumerate(lines, start=1):
        try:
            event = event_of(raw)
        except (UnicodeDecodeError, ValueError, AssertionError) as exc:
            fail(f"line {number}: not a canonical event in its encoding ({exc})")
        if event.get("seq") != seq + 1:
            fail(
                f"line {number}: sequence number {event.get('seq')}, expected {seq + 1} (an event is missing or moved)"
            )
        if event.get("prev_hash") != prev_hash:
            before = f"line {number - 1}" if number > 1 else "the manifest's prev_hash"
            fail(
                f"line {number} (seq {event['seq']}): its prev_hash does not match the hash of {before}: "
                f"{before} was altered, or this line's prev_hash was"
            )
        seq, prev_hash = event["seq"], hashlib.sha256(raw).hexdigest()
        hashes[seq] = prev_hash

    if seq != manifest["last_seq"] or prev_hash != manifest["head_hash"]:
        fail(
            f"the chain ends at {seq} with {prev_hash[:16]}…, the manifest says {manifest['last_seq']} "
            f"with {manifest['head_hash'][:16]}…"
        )
    if args.head:
        head = read(args.head)
        if head["seq"] not in hashes:
            fail(f"the signed head is event {head['seq']}, outside this export")
        if hashes[head["seq"]] != head["head_hash"]:
            fail(
                f"event {head['seq']} hashes to {hashes[head['seq']][:16]}…, but {head['head_hash'][:16]}… was signed"
            )
    print(f"OK: {manifest['count']} events, {manifest['first_seq']} to {seq}, head {prev_hash}")


if __name__ == "__main__":
    main()
