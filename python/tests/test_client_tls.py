"""TLS and mutual TLS towards a service that requires them: a throwaway CA made with openssl."""

import subprocess
from pathlib import Path
from typing import Dict, Iterator

import pytest

from memory_sidecar import MemoryClient, TlsConfig, Unavailable
from tests.harness import Service


def _certificates(dir: Path) -> Dict[str, str]:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=dir, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test CA")
    (dir / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (dir / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for who in ("server", "client"):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{who}.key", "-out", f"{who}.csr", "-subj", f"/CN={who}")
        openssl("x509", "-req", "-in", f"{who}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{who}.pem", "-days", "1", "-extfile", f"{who}.ext")
    return {name: str(dir / name) for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    return _certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def mtls_service(nats, certs) -> Iterator[Service]:
    """The service on PGlite with gRPC over TLS that requires a client certificate from the test CA."""
    svc = Service(
        nats_url=nats.url,
        database_url=None,
        env={
            "MEMSIDECAR_SUBJECT_PREFIX": "pytls",
            "MEMSIDECAR_STREAM": "PYTLS",
            "MEMSIDECAR_QUEUE_GROUP": "pytls",
            "MEMSIDECAR_GRPC_TLS_CERT": certs["server.pem"],
            "MEMSIDECAR_GRPC_TLS_KEY": certs["server.key"],
            "MEMSIDECAR_GRPC_TLS_CLIENT_CA": certs["ca.pem"],
            "MEMSIDECAR_GRPC_TLS_REQUIRE_CLIENT_CERT": "true",
        },
    ).start()
    yield svc
    svc.stop()


def test_mutual_tls_with_the_clients_certificate(mtls_service, certs, unique_ns):
    tls = {"ca_file": certs["ca.pem"], "cert_file": certs["client.pem"], "key_file": certs["client.key"]}
    with MemoryClient(mtls_service.tcp_endpoint, token=mtls_service.admin_token(), tls=tls) as client:
        put = client.kv.put(unique_ns, "k", "over mTLS")
        assert client.kv.get(unique_ns, "k", min_seq=put.seq).value == "over mTLS"


def test_without_a_client_certificate_or_over_plaintext_nothing_gets_through(mtls_service, certs, unique_ns):
    no_cert = MemoryClient(mtls_service.tcp_endpoint, token=mtls_service.admin_token(), tls=TlsConfig(ca_file=certs["ca.pem"]), request_timeout_s=2, retry_policy={"max_retries": 0})
    plaintext = MemoryClient(mtls_service.tcp_endpoint, token=mtls_service.admin_token(), request_timeout_s=2, retry_policy={"max_retries": 0})
    for client in (no_cert, plaintext):
        with client, pytest.raises(Unavailable):
            client.kv.get(unique_ns, "k")
