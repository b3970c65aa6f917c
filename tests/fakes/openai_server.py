"""A local server that answers like an OpenAI-compatible chat API, for the llm engine's tests.

`FakeOpenAI` is a real HTTP server on 127.0.0.1 (a free port, a background thread) serving
POST /v1/chat/completions. The real `openai` client talks to it over real HTTP. A test scripts what
the next calls answer, in order:

    server = FakeOpenAI().start()
    server.script(Scripted(body=completion('{"tldr": …}')))           # a chat.completion
    server.script(Scripted(status=429, headers={"Retry-After": "1"}), Scripted(body=…))
    server.script(Scripted(delay=5))                                   # answers after 5 s
    server.script(lambda request: Scripted(body=completion(…)))        # built from the request

A call with nothing scripted answers 500. With `refuse_json_schema`, a request whose
response_format is a JSON schema gets the 400 that servers without structured output give; with
`refuse={"max_tokens", "temperature"}`, a request with those fields gets OpenAI's 400 for newer models.
Every request is recorded (`requests`: the parsed JSON bodies; `prompt(n)`: the user message).
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Scripted:
    status: int = 200
    body: dict[str, Any] | str | None = None  # a dict is sent as JSON, a str as it is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (past the client's timeout: a slow model)


Responder = Scripted | Callable[[dict[str, Any]], Scripted]


def completion(content: str, prompt_tokens: int = 120, completion_tokens: int = 80, model: str = "fake-model") -> dict[str, Any]:
    """A chat.completion body whose one choice says `content`."""
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def error(status: int, message: str, kind: str = "server_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


_NUMBERED = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


def sentence_ids(prompt: str) -> dict[str, int]:
    """The numbered sentences of a prompt (the engine's "[n] text" lines before the quotes), text → id."""
    sentences = prompt.split("\nQuotes", 1)[0]
    return {text: int(n) for n, text in _NUMBERED.findall(sentences)}


def quote_ids(prompt: str) -> dict[str, int]:
    """The numbered quotes of a prompt, their text (without the quote marks) → id."""
    quotes = prompt.split("\nQuotes", 1)[1]
    return {text.split("\u201d")[0].lstrip("\u201c"): int(n) for n, text in _NUMBERED.findall(quotes)}


def paraphrase_answer(prompt: str, words: int = 12) -> dict[str, Any]:
    """A well-behaved answer for any article: its first sentences cut to their first `words` words
    (the model's "own words", every name and number taken from the sentence it cites), no dispute,
    no speakers. For the seed article's test and the overhead benchmark."""
    ids = list(sentence_ids(prompt).items())

    def cut(text: str, sid: int) -> dict[str, Any]:
        short = " ".join(text.split()[:words]).rstrip(",;:.\u201c\u201d\"") + "."
        return {"text": short, "sentences": [sid]}

    return {"tldr": [cut(t, i) for t, i in ids[:2]], "implications": [cut(t, i) for t, i in ids[2:3]],
            "dispute": None, "speakers": []}


class FakeOpenAI:
    def __init__(self, refuse_json_schema: bool = False, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse = refuse  # request fields answered with OpenAI's 400 "Unsupported parameter"
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # each request's headers, names lower case
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was answering at one time
        self.refuse_json_schema = refuse_json_schema
        self._script: deque[Responder] = deque()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake_openai", daemon=True)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(self, *responders: Responder) -> None:
        with self._lock:
            self._script.extend(responders)

    def prompt(self, n: int = 0) -> str:
        """The user message of the n-th request."""
        return next(m["content"] for m in self.requests[n]["messages"] if m["role"] == "user")

    def answer(self, request: dict[str, Any], headers: dict[str, str]) -> Scripted:
        fmt = (request.get("response_format") or {}).get("type")
        with self._lock:
            self.requests.append(request)
            self.headers.append(headers)
            if self.refuse_json_schema and fmt == "json_schema":  # refused before any script is used
                return Scripted(400, error(400, "response_format of type json_schema is not supported by this "
                                           "server", "invalid_request_error"))
            for name in sorted(self.refuse & set(request)):
                return Scripted(400, error(400, f"Unsupported parameter: '{name}' is not supported with this model.",
                                           "invalid_request_error"))
            responder = self._script.popleft() if self._script else None
        if responder is None:
            return Scripted(500, error(500, "nothing scripted"))
        return responder(request) if callable(responder) else responder


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path.split("?")[0] != CHAT_PATH:
                self._send(Scripted(404, error(404, f"no route {self.path}", "not_found")))
                return
            try:
                request = json.loads(raw)
            except ValueError:
                self._send(Scripted(400, error(400, "the body is not JSON", "invalid_request_error")))
                return
            with server._lock:
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                scripted = server.answer(request, {k.lower(): v for k, v in self.headers.items()})
                if scripted.delay and server.stopping.wait(scripted.delay):
                    return
                self._send(scripted)
            finally:
                with server._lock:
                    server.in_flight -= 1

        def _send(self, scripted: Scripted) -> None:
            body = scripted.body if scripted.body is not None else error(scripted.status, "scripted failure")
            data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
            try:
                self.send_response(scripted.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout): what the slow-answer test wants

    return Handler
