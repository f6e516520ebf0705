"""A real RFC 3161 time-stamping authority in the test process: its own root and TSA
certificates made with `openssl`, answering over HTTP with `openssl ts -reply`."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONFIG = """
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = {dir}/serial
signer_cert = {dir}/tsa.pem
certs = {dir}/ca.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.752.1.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
[ v3_tsa ]
basicConstraints = CA:FALSE
extendedKeyUsage = critical,timeStamping
keyUsage = critical,digitalSignature
"""


@dataclass
class TimeAuthority:
    url: str
    ca: Path  # the root certificate a verifier trusts


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@contextmanager
def time_authority(folder: Path) -> Iterator[TimeAuthority]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tsa.cnf").write_text(CONFIG.format(dir=folder), encoding="utf-8")
    (folder / "serial").write_text("01\n", encoding="utf-8")
    _openssl("req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-subj", "/CN=Test root", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign", cwd=folder)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
             "-subj", "/CN=Test time-stamping authority", cwd=folder)  # fmt: skip
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "tsa.pem", "-days", "2", "-extfile", "tsa.cnf",
             "-extensions", "v3_tsa", cwd=folder)  # fmt: skip
    lock = threading.Lock()  # openssl keeps the serial in a file: one reply at a time

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (folder / "query.tsq").write_bytes(query)
                _openssl("ts", "-reply", "-queryfile", "query.tsq", "-config", "tsa.cnf",
                         "-section", "tsa_config", "-out", "reply.tsr", cwd=folder)  # fmt: skip
                reply = (folder / "reply.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TimeAuthority(f"http://127.0.0.1:{server.server_address[1]}/tsa", folder / "ca.pem")
    finally:
        server.shutdown()
