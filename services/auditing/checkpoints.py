"""Checkpoints of the audit log's Merkle tree in the C2SP formats (tlog-checkpoint, signed-note):
the origin, the tree size and its root, signed with the service's Ed25519 key, in a few lines of
text an auditor keeps and any transparency-log tooling reads."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.auditing import proofs
from services.storage.unit_of_work import UnitOfWork

ED25519 = b"\x01"  # the signed-note signature type of Ed25519


def origin_of(public_url: str) -> str:
    """The log's name in its checkpoints: the service's host and `/audit`."""
    return f"{urlsplit(public_url).netloc or 'grantflow'}/audit"


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, key: Ed25519PrivateKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw(key)).digest()[:4]


def verifier_key(name: str, key: Ed25519PrivateKey) -> str:
    """The note verifier key: `<name>+<key id, hex>+<base64 of type and public key>`."""
    return f"{name}+{key_id(name, key).hex()}+{base64.b64encode(ED25519 + _raw(key)).decode()}"


def checkpoint(
    uow: UnitOfWork, key: Ed25519PrivateKey, origin: str, size: int | None = None
) -> str:
    """The signed checkpoint of the first `size` events (default: all)."""
    tree = proofs.tree(uow, size)
    root = base64.b64encode(bytes.fromhex(tree["root_hash"])).decode()
    body = f"{origin}\n{tree['tree_size']}\n{root}\n"
    signature = base64.b64encode(key_id(origin, key) + key.sign(body.encode())).decode()
    return f"{body}\n\u2014 {origin} {signature}\n"
