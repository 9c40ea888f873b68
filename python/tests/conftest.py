import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import Database, Nats, Service  # noqa: E402


@pytest.fixture(scope="session")
def nats() -> Iterator[Nats]:
    server = Nats()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    db = Database()
    yield db
    db.drop()


@pytest.fixture(scope="session")
def service(nats: Nats, database: Database) -> Iterator[Service]:
    """The service on the session's nats-server and database, gRPC on a unix socket and TCP."""
    svc = Service(nats_url=nats.url, database_url=database.url).start()
    yield svc
    svc.stop()


@pytest.fixture()
def token(service: Service) -> str:
    return service.admin_token()


@pytest.fixture()
def unique_ns(request: pytest.FixtureRequest) -> str:
    """A namespace of this test's own, so tests sharing the service never see each other's data."""
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:80]
    return f"py-{name}-{os.getpid()}"
