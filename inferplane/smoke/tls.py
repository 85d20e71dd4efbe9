"""A throwaway CA and a server certificate for 127.0.0.1, made with ``openssl``, so a fake
target behind ``auth.ca`` (an edge site's own CA) is reached over verified TLS."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from inferplane.errors import InferplaneError

__all__ = ["TestCa", "make_ca"]


@dataclass(frozen=True)
class TestCa:
    ca_pem: str
    """The CA certificate the router is told to trust (``auth.ca``)."""
    server: ssl.SSLContext
    """A server context with a certificate for IP 127.0.0.1 signed by the CA."""


def make_ca() -> TestCa:
    if shutil.which("openssl") is None:
        raise InferplaneError("openssl is not installed: the smoke needs it for TLS targets")
    with tempfile.TemporaryDirectory(prefix="inferplane-smoke-ca-") as tmp:
        d = Path(tmp)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl(
            "req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "1",
            "-subj", "/CN=inferplane smoke CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        _openssl(
            "req", *ec, "-keyout", d / "srv.key", "-out", d / "srv.csr", "-subj", "/CN=127.0.0.1"
        )  # fmt: skip
        (d / "ext").write_text(
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
        )
        _openssl(
            "x509", "-req", "-in", d / "srv.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
            "-CAcreateserial", "-out", d / "srv.pem", "-days", "1", "-extfile", d / "ext",
        )  # fmt: skip
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(d / "srv.pem", d / "srv.key")
        return TestCa((d / "ca.pem").read_text(), server)


def _openssl(*args: object) -> None:
    result = subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise InferplaneError(f"openssl {args[0]} failed: {result.stderr.strip()[-500:]}")
