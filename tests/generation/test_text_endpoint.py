"""The OpenAI-compatible chat client against a real HTTP server on 127.0.0.1 that replays
recorded answers: good, fenced, garbage, 500 then good (retry), too slow (bounded retries,
then a clear error), 401 (no retry), and a body without choices."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from studio_kit.generation.text import ChatEndpoint, TextBackendError, chat_url

KEY = "sk-test-secret-0123456789"


@dataclass
class Reply:
    status: int = 200
    body: str = ""
    #: Seconds to hold the answer back (to exceed the client's timeout).
    delay: float = 0.0


def chat_reply(content: str) -> Reply:
    """A recorded chat completion whose message content is ``content``."""
    return Reply(200, json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
    }))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ReplayServer:
    """A real HTTP server on 127.0.0.1 answering from a queue of recorded replies (or a function of
    the request), recording what it received. Runs until ``close``."""

    replies: list[Reply] = field(default_factory=list)
    responder: Callable[[Any], Reply] | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    body = raw.decode("utf-8", "replace")
                with outer._lock:
                    outer.received.append(Received(self.path, dict(self.headers.items()), body))
                    if outer.responder is not None:
                        reply = outer.responder(body)
                    elif outer.replies:
                        reply = outer.replies.pop(0)
                    else:
                        reply = Reply(503, '{"error": "replay queue is empty"}')
                if reply.delay and outer._release.wait(reply.delay):
                    return  # the test is over: drop the connection
                data = reply.body.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def close(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer()
    yield s
    s.close()


def endpoint(server: ReplayServer, **kw: Any) -> ChatEndpoint:
    kw.setdefault("timeout", 2.0)
    kw.setdefault("backoff", 0.01)
    return ChatEndpoint(server.base_url, "test-model", **kw)


MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}]


def test_good_answer_and_the_request_sent(server: ReplayServer) -> None:
    server.replies = [chat_reply("hi")]
    ep = endpoint(server, api_key=KEY, temperature=0.2, max_tokens=50)
    assert ep.complete(MESSAGES) == "hi"
    assert len(server.received) == 1
    got = server.received[0]
    assert got.path == "/v1/chat/completions"
    assert got.body == {"model": "test-model", "messages": MESSAGES, "temperature": 0.2, "max_tokens": 50}
    assert got.headers["Authorization"] == f"Bearer {KEY}"
    assert got.headers["Content-Type"] == "application/json"
    assert KEY not in repr(ep)


def test_no_key_sends_no_authorization(server: ReplayServer) -> None:
    server.replies = [chat_reply("hi")]
    assert endpoint(server).complete(MESSAGES) == "hi"
    assert "Authorization" not in server.received[0].headers


def test_fenced_and_garbage_text_come_back_as_text(server: ReplayServer) -> None:
    fenced = '```json\n[{"category_id": 104, "name": "RIVET", "quote": "rivet"}]\n```'
    server.replies = [chat_reply(fenced), chat_reply("I'm sorry, I can't help with that.")]
    ep = endpoint(server)
    assert ep.complete(MESSAGES) == fenced
    assert ep.complete(MESSAGES) == "I'm sorry, I can't help with that."
    assert len(server.received) == 2


def test_server_error_is_retried(server: ReplayServer) -> None:
    server.replies = [Reply(500, '{"error": "CUDA out of memory"}'), chat_reply("after retry")]
    waits: list[float] = []
    ep = endpoint(server, max_retries=2, backoff=0.25, sleep=waits.append)
    assert ep.complete(MESSAGES) == "after retry"
    assert len(server.received) == 2
    assert waits == [0.25]


def test_rate_limit_is_retried_with_growing_backoff(server: ReplayServer) -> None:
    server.replies = [Reply(429, "{}"), Reply(429, "{}"), chat_reply("ok")]
    waits: list[float] = []
    assert endpoint(server, max_retries=3, backoff=0.5, sleep=waits.append).complete(MESSAGES) == "ok"
    assert waits == [0.5, 1.0]
    assert len(server.received) == 3


def test_persistent_server_error_gives_up_after_bounded_attempts(server: ReplayServer) -> None:
    server.replies = [Reply(502, "bad gateway")] * 5
    with pytest.raises(TextBackendError) as err:
        endpoint(server, max_retries=2).complete(MESSAGES)
    assert len(server.received) == 3
    assert err.value.status == 502
    assert "HTTP 502" in str(err.value) and "3 attempts" in str(err.value)
    assert server.base_url + "/chat/completions" in str(err.value)


def test_slow_answer_times_out_after_bounded_retries(server: ReplayServer) -> None:
    server.replies = [Reply(200, "{}", delay=5.0)] * 3
    with pytest.raises(TextBackendError) as err:
        endpoint(server, timeout=0.3, max_retries=1).complete(MESSAGES)
    assert len(server.received) == 2
    msg = str(err.value)
    assert "no answer within 0.3 s" in msg and "2 attempts" in msg
    assert err.value.status is None


def test_unauthorised_is_not_retried_and_says_what_to_do(server: ReplayServer) -> None:
    server.replies = [Reply(401, '{"error": "invalid api key"}'), chat_reply("never")]
    with pytest.raises(TextBackendError) as err:
        endpoint(server, api_key=KEY, max_retries=3).complete(MESSAGES)
    assert len(server.received) == 1
    msg = str(err.value)
    assert err.value.status == 401 and "HTTP 401" in msg and "API key" in msg
    assert server.base_url in msg
    assert KEY not in msg


def test_bad_request_is_not_retried(server: ReplayServer) -> None:
    server.replies = [Reply(400, '{"error": "maximum context length exceeded"}')] * 3
    with pytest.raises(TextBackendError, match="HTTP 400.*context length") as err:
        endpoint(server, max_retries=3).complete(MESSAGES)
    assert err.value.status == 400
    assert len(server.received) == 1


def test_answer_that_is_not_json(server: ReplayServer) -> None:
    server.replies = [Reply(200, "<html>nginx welcome</html>")]
    with pytest.raises(TextBackendError, match="not JSON.*nginx welcome.*/v1"):
        endpoint(server).complete(MESSAGES)
    assert len(server.received) == 1


def test_answer_without_choices(server: ReplayServer) -> None:
    server.replies = [Reply(200, '{"object": "list", "data": []}'), Reply(200, '{"choices": []}')]
    ep = endpoint(server)
    with pytest.raises(TextBackendError, match=r"no choices\[0\]\.message\.content"):
        ep.complete(MESSAGES)
    with pytest.raises(TextBackendError, match=r"no choices\[0\]\.message\.content"):
        ep.complete(MESSAGES)


def test_nobody_listening_names_the_url_and_how_to_start_a_server() -> None:
    s = ReplayServer()
    url = s.base_url
    s.close()  # the port is now closed
    waits: list[float] = []
    ep = ChatEndpoint(url, "m", timeout=1.0, max_retries=1, sleep=waits.append)
    with pytest.raises(TextBackendError) as err:
        ep.complete(MESSAGES)
    assert "cannot connect" in str(err.value) and "vllm serve" in str(err.value) and url in str(err.value)
    assert waits == [0.5]


def test_urls_and_settings_are_checked() -> None:
    assert chat_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1/chat/completions"
    assert chat_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    with pytest.raises(ValueError, match="http://"):
        ChatEndpoint("127.0.0.1:8000", "m")
    with pytest.raises(ValueError, match="model name"):
        ChatEndpoint("http://127.0.0.1:8000", " ")
    with pytest.raises(ValueError, match="timeout"):
        ChatEndpoint("http://127.0.0.1:8000", "m", timeout=0)
    with pytest.raises(ValueError, match="at least one message"):
        ChatEndpoint("http://127.0.0.1:8000", "m").complete([])
