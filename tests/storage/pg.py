"""PostgreSQL fixtures: a fresh database per test, created and dropped around it.

Import the fixtures into a test module (``from pg import postgres_url``; pytest puts this
folder on ``sys.path``). The server is ``YOSHIKI_TEST_POSTGRES`` or
``postgresql://postgres@127.0.0.1:5432/postgres``. When it cannot be reached the tests fail
under ``CI=true`` (the PostgreSQL tests must run there) and are skipped, with the reason,
elsewhere. Reachability is checked once per session with a 3-second connect timeout.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

ADMIN_URL = os.environ.get("YOSHIKI_TEST_POSTGRES",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
_state: dict[str, str | None] = {}


def _unreachable() -> str | None:
    """None when the server answers, else why not (checked once per session)."""
    if "error" not in _state:
        try:
            with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _state["error"] = None
        except psycopg.Error as exc:
            _state["error"] = f"PostgreSQL at {ADMIN_URL} is unreachable: {exc}".strip()
    return _state["error"]


def require_postgres() -> None:
    """Fail under CI=true, else skip, when the server is down."""
    error = _unreachable()
    if error is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(error + " (CI=true: PostgreSQL tests must run)", pytrace=False)
    pytest.skip(error)


def sqlalchemy_url(dbname: str) -> str:
    """The SQLAlchemy (psycopg 3) URL of a database on the test server."""
    base = ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg://{base}/{dbname}"


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create ``yoshiki_test_<random>``, yield its SQLAlchemy URL, drop it afterwards."""
    require_postgres()
    dbname = f"yoshiki_test_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        # template0 + C.UTF-8: a known encoding and character classes, whatever the server's
        # default database was created with (pg_trgm needs a UTF-8 ctype to index kanji).
        conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE template0 ENCODING \'UTF8\' '
                     "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    try:
        yield sqlalchemy_url(dbname)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    with fresh_database() as url:
        yield url
