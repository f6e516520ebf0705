#!/usr/bin/env python3
"""Check grantflow's audit log proofs without grantflow: the standard library, and the
`cryptography` package for signed checkpoints only.

    verify_audit_proof.py inclusion PROOF.json --root HEX
    verify_audit_proof.py consistency PROOF.json --first-root HEX
    verify_audit_proof.py checkpoint NOTE --key VKEY
    verify_audit_proof.py inclusion PROOF.json --checkpoint NOTE --key VKEY
    verify_audit_proof.py timestamp NOTE --token TOKEN.tsr --ca AUTHORITY.pem

A checkpoint (GET /audit/checkpoint) is the tree's size and root in a note signed with the
service's key (C2SP tlog-checkpoint and signed-note); VKEY is the `note_key` of
GET /audit/public-key, kept apart. Given one, the root it signs is the one trusted. A
timestamp (GET /audit/checkpoints, the token base64-decoded) is an RFC 3161 authority's word
that the checkpoint existed at its time; it is checked with the `openssl ts` command against
the authority's certificate chain.

An inclusion proof says that one event (its line, as exported) is in the log of `tree_size`
events whose Merkle root is `--root`: a root you hold from before (a checkpoint you kept), not
the one the proof brings. A consistency proof says that the log of `second` events extends the
log of `first` events whose root you hold as `--first-root`: nothing before was changed.

The tree is RFC 9162's (Certificate Transparency 2.0): a leaf is SHA-256(0x00 || line), a node
SHA-256(0x01 || left || right); the algorithms below are its sections 2.1.3.2 and 2.1.4.2.
Exit 0: the proof holds; 1: it does not, and why; 2: the input cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_holds(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_holds(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    if first == second:
        return not path and first_root == second_root
    if not 0 < first < second or not path:
        return False
    if first & (first - 1) == 0:  # an exact power of two: its root starts the path
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


class NotTrusted(Exception):
    """A checkpoint that is readable but not signed by the key given: it proves nothing."""


def read_checkpoint(note: str, vkey: str) -> tuple[int, bytes]:
    """The size and root of a checkpoint whose signature by `vkey` verifies."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    name, key_id, key = vkey.split("+", 2)  # the key's base64 may hold "+" too
    raw = base64.b64decode(key)
    if raw[:1] != b"\x01" or len(raw) != 33:
        raise ValueError("the verifier key is not an Ed25519 note key")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    end = note.index("\n\n") + 1
    body, signatures = note[:end], note[end + 1 :].splitlines()
    for line in signatures:
        dash, _, rest = line.partition(" ")
        signer, _, signature = rest.partition(" ")
        signed = base64.b64decode(signature)
        if dash != "\u2014" or signer != name or signed[:4].hex() != key_id:
            continue
        try:
            public.verify(signed[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise NotTrusted("the checkpoint's signature does not verify") from None
        origin, size, root = body.splitlines()[:3]
        if origin != name:
            raise NotTrusted(f"the checkpoint is of {origin}, the key of {name}")
        return int(size), base64.b64decode(root)
    raise NotTrusted(f"the checkpoint carries no signature by {name}")


def timestamp_holds(note: str, token: str | None, ca: str | None) -> int:
    """Is `token` an RFC 3161 timestamp, by an authority `ca` vouches for, of exactly `note`?"""
    if not token or not ca:
        print("timestamp needs --token and --ca", file=sys.stderr)
        return 2
    checked = subprocess.run(
        ["openssl", "ts", "-verify", "-data", note, "-in", token, "-CAfile", ca],
        capture_output=True,
        text=True,
    )
    if checked.returncode == 0 and "Verification: OK" in checked.stdout:
        shown = subprocess.run(
            ["openssl", "ts", "-reply", "-in", token, "-text"], capture_output=True, text=True
        )
        when = [line for line in shown.stdout.splitlines() if line.startswith("Time stamp:")]
        print(f"ok: the checkpoint existed at {when[0].split(': ', 1)[1] if when else '?'}")
        return 0
    said = (checked.stderr.strip().splitlines() or ["no reason given"])[-1]
    print(f"FAILS: the timestamp does not cover this checkpoint: {said}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["inclusion", "consistency", "checkpoint", "timestamp"])
    parser.add_argument("proof", help="the proof, as GET /audit/proofs/... answers it")
    parser.add_argument("--root", help="inclusion: the root you trust, hex")
    parser.add_argument("--first-root", help="consistency: the earlier root you trust, hex")
    parser.add_argument("--checkpoint", help="a signed checkpoint whose root you trust")
    parser.add_argument("--key", help="the checkpoint's verifier key (note_key)")
    parser.add_argument("--token", help="timestamp: the authority's token (DER)")
    parser.add_argument("--ca", help="timestamp: the authority's root certificate (PEM)")
    args = parser.parse_args(argv)
    if args.kind == "timestamp":
        return timestamp_holds(args.proof, args.token, args.ca)
    try:
        if args.kind == "checkpoint" or args.checkpoint:
            with open(args.checkpoint or args.proof, encoding="utf-8") as f:
                size, signed_root = read_checkpoint(f.read(), args.key or "")
            if args.kind == "checkpoint":
                print(f"ok: a log of {size} events with root {signed_root.hex()}")
                return 0
            if args.kind == "inclusion":
                args.root = signed_root.hex()
            else:
                args.first_root = signed_root.hex()
        with open(args.proof, encoding="utf-8") as f:
            proof = json.load(f)
        if args.checkpoint:
            asked = proof["tree_size"] if args.kind == "inclusion" else proof["first"]
            if asked != size:
                raise ValueError(f"the proof is for {asked} events, the checkpoint for {size}")
        if args.kind == "inclusion":
            trusted = bytes.fromhex(args.root or proof["root_hash"])
            line = proof["line"]
            # The line's own hash in the chain is part of the check: the leaf is that line.
            leaf = hashlib.sha256(b"\x00" + line.encode("utf-8")).digest()
            path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
            holds = inclusion_holds(proof["leaf_index"], proof["tree_size"], leaf, path, trusted)
            said = f"event {proof['seq']} in the log of {proof['tree_size']} events"
        else:
            trusted = bytes.fromhex(args.first_root or proof["first_hash"])
            path = [bytes.fromhex(h) for h in proof["consistency_path"]]
            second_root = bytes.fromhex(proof["second_hash"])
            holds = consistency_holds(proof["first"], proof["second"], trusted, second_root, path)
            said = f"the log of {proof['second']} events extends the one of {proof['first']}"
    except NotTrusted as untrusted:
        print(f"FAILS: {untrusted}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, TypeError) as unreadable:
        print(f"cannot read the proof: {unreadable}", file=sys.stderr)
        return 2
    if not (args.root or args.first_root):
        print(
            "note: checked against the root the proof brings; give the one you trust",
            file=sys.stderr,
        )
    if holds:
        print(f"ok: {said}")
        return 0
    print(f"FAILS: {said} does not follow from the trusted root", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
