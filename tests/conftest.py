"""Shared fixtures.

`local_http`: a real HTTP server on 127.0.0.1 (a random free port) in a background thread. A test
registers routes (path -> status, headers, body, optional delays) and reads back the requests made:

    def test_x(local_http):
        url = local_http.route("/a", "<html>…</html>", content_type="text/html; charset=utf-8")
        ...
        assert local_http.requests[0].path == "/a"

Unregistered paths answer 404. The server speaks HTTP/1.0 (one request per connection), so a route
without a Content-Length simply streams its body until the connection closes.

`store`: a migrated `bot.store.Store`, once on a SQLite file and once on PostgreSQL (see the storage
block at the end); `digest_factory` builds `Digest` objects without spaCy, for fast store tests.

`wait_for` and `stop`: for the tests that run the bot as a separate process (`newsdigest run`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
from spacy.language import Language
from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.store import Store
from digests import DigestEngine
from digests.clean import clean
from digests.models import Article, Digest, Dispute, Implication, Party, Quote, Speaker
from digests.parsed import ParsedArticle
from digests.segment import segment


@pytest.fixture(scope="session")
def engine() -> DigestEngine:
    """One engine (one loaded spaCy model) for the whole test session, as in the bot."""
    return DigestEngine()


@pytest.fixture(scope="session")
def nlp(engine: DigestEngine) -> Language:
    """The engine's spaCy pipeline, for tests of one stage at a time."""
    return engine.nlp


def parse_article(nlp: Language, raw: str, title: str | None = None) -> ParsedArticle:
    """Raw text cleaned, segmented and parsed as the engine does, for the stage tests."""
    layout = segment(clean(raw), title=title)
    return ParsedArticle(layout=layout, doc=nlp(layout.text))


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts (to exercise timeouts)
    drip: float = 0.0  # seconds between body chunks (a server that trickles bytes)
    chunk_size: int = 1024
    content_length: bool = True  # False: no Content-Length header, the body ends when the connection closes


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # header names lower case
    body: bytes


class LocalHTTP:
    """The running server: `route()` to register responses, `requests` to see what arrived."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()  # wakes handlers that are sleeping in a delay at teardown
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self.host, self.port = "127.0.0.1", self._server.server_address[1]
        self.base_url = f"http://{self.host}:{self.port}"
        # A short poll interval keeps shutdown (each test's teardown) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local_http", daemon=True)

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drip: float = 0.0,
        chunk_size: int = 1024,
        content_length: bool = True,
    ) -> str:
        """Register (or replace) the response for `path` (query ignored); returns its full URL."""
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(status, data, all_headers, delay, drip, chunk_size, content_length)
        return self.url(path)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _make_handler(server: LocalHTTP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.record(RecordedRequest(self.command, self.path, headers, body))
            route = server.routes.get(urlsplit(self.path).path, Route(status=404, body=b"not found", headers={"Content-Type": "text/plain"}))
            if route.delay and server.stopping.wait(route.delay):
                return
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.content_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                for start in range(0, len(route.body), route.chunk_size):
                    self.wfile.write(route.body[start : start + route.chunk_size])
                    self.wfile.flush()
                    if route.drip and server.stopping.wait(route.drip):
                        return
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (size limit, timeout): that is what some tests want

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler


# The bot as a separate process

def wait_for(condition: Callable[[], object], timeout: float = 120.0, every: float = 0.2) -> bool:
    """Until `condition()` (polled every `every` s), at most `timeout` seconds: generous by default, a
    loaded machine starts a bot slowly, and the wait ends as soon as the state is reached."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, as a service manager stops the bot; SIGKILL if it has not ended within `timeout` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def local_http() -> Iterator[LocalHTTP]:
    server = LocalHTTP()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------
# Storage: the `store` fixture on both backends, and `digest_factory`.
#
# sqlite:     a real file, tmp_path/newsdigest.db, new for each test.
# postgresql: the PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth). One database of its own
#             per test session (newsdigest_test_<pid>_<random>), migrated once and dropped at the
#             end (WITH (FORCE)); before each test every table but alembic_version is emptied and
#             the identity sequences restarted, so each test starts empty with ids back at 1.
# If PostgreSQL is unreachable its tests are skipped, or fail when NEWSDIGEST_TEST_REQUIRE_POSTGRES=1
# (as .ci/run sets), so that CI cannot go green without having run them.
# ---------------------------------------------------------------------------------------------------

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REQUIRE_POSTGRES = "NEWSDIGEST_TEST_REQUIRE_POSTGRES"
STORE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: needs the PostgreSQL server on 127.0.0.1:5432")
    config.addinivalue_line("markers", "slow: starts bot processes and waits for them (minutes)")


def _postgres_unavailable(reason: str) -> NoReturn:
    message = f"PostgreSQL is not reachable on 127.0.0.1:5432: {reason}"
    if os.environ.get(REQUIRE_POSTGRES) == "1":
        pytest.fail(f"{message} ({REQUIRE_POSTGRES}=1 requires it)", pytrace=False)
    pytest.skip(message)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self) -> None:
        self.admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                                   connect_args={"connect_timeout": 5})
        self.created: list[str] = []

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"newsdigest_test_{os.getpid()}_{secrets.token_hex(4)}"
        unreachable = None
        try:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except OperationalError as exc:
            unreachable = _first_line(exc)
        if unreachable is not None:  # outside the except block: the report shows the reason alone
            _postgres_unavailable(unreachable)
        self.created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def close(self) -> None:
        for name in list(self.created):
            self.drop_database(make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        yield server
    finally:
        server.close()


class PostgresDatabase:
    """The session's migrated database; `clean()` empties every table but alembic_version and
    restarts the identity sequences. (DELETE, not TRUNCATE: on tables this small it is ~15 times
    faster, ~10 ms against ~150 ms a test.)"""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, poolclass=NullPool)
        metadata = MetaData()
        metadata.reflect(self.engine)
        # Children before parents, so that no foreign key stops a DELETE.
        self.tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]
        with self.engine.connect() as connection:
            self.sequences = list(connection.exec_driver_sql(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"
            ).scalars())

    def clean(self) -> None:
        with self.engine.begin() as connection:
            # A store a test left open in a transaction would make this wait for ever; fail in seconds.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            for table in self.tables:
                connection.exec_driver_sql(f'DELETE FROM "{table}"')
            for sequence in self.sequences:
                connection.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    url = postgres_server.create_database()
    store = Store(url)
    try:
        store.migrate()
    finally:
        store.close()
    database = PostgresDatabase(url)
    try:
        yield database
    finally:
        database.engine.dispose()


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001 - pytest's tmp_path
    """The URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsdigest.db'}"
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.clean()
    return database.url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    store.migrate()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=STORE_BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """A database with nothing in it, not even migrations: a new SQLite file, or a new PostgreSQL
    database (slower: for the few tests that watch migrations run)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


# digest_factory

Said = tuple[str, "str | Speaker | None"]


def article_id(text: str) -> str:
    """As `digests.engine.article_id`, which cannot be imported without loading spaCy."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def make_digest(
    quotes: Sequence[Said] = (),
    *,
    title: str | None = "A test article",
    url: str | None = None,
    published: str | None = "2025-03-14",
    source: str | None = "Test Wire",
    author: str | None = None,
    intro: str | None = None,
    dispute: bool | Dispute = False,
    implications: Sequence[str] = (),
    engine: str = "test-engine/1",
) -> Digest:
    """A digest made directly, without spaCy. The article text is `intro` then one paragraph per
    quote: `“<quote>”, said <speaker>.`, or for a speaker of None an unattributed scare quote; every
    quote's offsets point at its words (quote.text == article.text[start:end])."""
    text = intro if intro is not None else f"{title or 'An article'}. This article was written for the newsdigest tests."
    made: list[Quote] = []
    for said, who in quotes:
        speaker = Speaker(name=who) if isinstance(who, str) else who
        lead, tail = ("\n\n“", f"”, said {speaker.name}.") if speaker else ("\n\nSome called it “", "”, nobody said who.")
        start = len(text) + len(lead)
        text += lead + said + tail
        made.append(Quote(text=said, start=start, end=start + len(said), speaker=speaker,
                          cue="said" if speaker else None, kind="direct" if speaker else "partial",
                          confidence=0.9 if speaker else 0.2))
    notes: list[Implication] = []
    for note in implications:
        text += "\n\n"
        notes.append(Implication(text=note, start=len(text), end=len(text) + len(note)))
        text += note
    if dispute is True:
        named = [q for q in made if q.speaker]
        dispute = Dispute(headline="A test dispute", allegation="One side accuses the other.",
                          parties=[Party(name=q.speaker.name, position=q.text, quotes=[q]) for q in named[:2]]
                          or [Party(name="Someone", position=None)],
                          actions=["A complaint was filed."], open_questions=["Who is right?"])
    for span in [*made, *notes]:
        assert text[span.start:span.end] == span.text  # the verbatim rule, for every digest a test makes
    article = Article(id=article_id(text), title=title, published=published, url=url, source=source, author=author,
                      word_count=len(text.split()), text=text)
    return Digest(article=article, tldr=[text.split("\n")[0][:300]], quotes=made, implications=notes,
                  dispute=dispute or None, engine=engine)


@pytest.fixture
def digest_factory() -> Callable[..., Digest]:
    """`digest_factory([("the quote", "Speaker Name"), ("a scare quote", None)], title=..., url=...)`."""
    return make_digest
