"""Text generation through any OpenAI-compatible ``/v1/chat/completions`` endpoint.

vLLM, llama.cpp's server, Ollama and hosted services all speak this protocol, so one small
client serves them all. It uses only ``urllib.request`` (no SDK to install), retries what a
retry can fix (timeouts, refused connections, 5xx, 429) a bounded number of times with
exponential backoff, and fails with a :class:`TextBackendError` that names the URL, the HTTP
status and what to do. The API key is sent as a Bearer token and never appears in an error,
a log line or ``repr``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..common.errors import Invalid, Unavailable

#: How to start a local server, quoted in errors so a producer knows the next step.
START_HINT = ("is the server running? start one with e.g. `vllm serve Qwen/Qwen2.5-7B-Instruct --port 8000` "
              "or `llama-server -m model.gguf --port 8000`, then pass --llm-endpoint http://127.0.0.1:8000/v1")


class TextBackendError(Unavailable):
    """The text endpoint could not give an answer: unreachable, refused, timed out, or answered
    something that is not a chat completion. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retryable = retryable


def chat_url(base_url: str) -> str:
    """The completions URL for a base URL given with or without ``/v1`` (or as the full path)."""
    b = base_url.strip().rstrip("/")
    if not b.startswith(("http://", "https://")):
        raise Invalid(f"text endpoint {base_url!r} must start with http:// or https:// "
                         "(e.g. http://127.0.0.1:8000/v1)")
    if b.endswith("/chat/completions"):
        return b
    if not b.endswith("/v1"):
        b += "/v1"
    return b + "/chat/completions"


@dataclass
class ChatEndpoint:
    """A chat model behind an OpenAI-compatible endpoint; ``complete(messages) -> str``.

    ``timeout`` bounds each attempt in seconds; at most ``1 + max_retries`` attempts are made,
    waiting ``backoff * 2**k`` seconds (capped by ``max_backoff``) between them."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    max_retries: int = 2
    backoff: float = 0.5
    max_backoff: float = 8.0
    temperature: float = 0.0
    max_tokens: int | None = None
    #: Injected in tests that must not sleep; ``time.sleep`` otherwise.
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        self.url = chat_url(self.base_url)
        host = urllib.parse.urlsplit(self.url).hostname or ""
        # A local server must not be sent through an HTTP(S)_PROXY the shell happens to set.
        local = host in ("localhost", "::1") or host.startswith("127.")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if local else \
            urllib.request.build_opener()
        if not self.model or not self.model.strip():
            raise Invalid("text endpoint needs a model name (the id the server serves, e.g. "
                             "`curl <endpoint>/models` lists them)")
        if self.timeout <= 0:
            raise Invalid(f"timeout must be positive seconds, got {self.timeout!r}")
        if self.max_retries < 0:
            raise Invalid(f"max_retries must be 0 or more, got {self.max_retries!r}")

    def request_body(self, messages: Sequence[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": list(messages), "temperature": self.temperature}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        return body

    def complete(self, messages: Sequence[dict[str, Any]]) -> str:
        """The assistant's reply text to ``messages`` (``[{"role": ..., "content": ...}, ...]``)."""
        if not messages:
            raise Invalid("complete() needs at least one message")
        data = json.dumps(self.request_body(messages)).encode("utf-8")
        last: TextBackendError | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(min(self.backoff * 2 ** (attempt - 1), self.max_backoff))
            try:
                return _content(self._post(data), self.url)
            except TextBackendError as exc:
                if not exc.retryable:
                    raise
                last = exc
        assert last is not None
        tries = self.max_retries + 1
        raise TextBackendError(f"{last} (gave up after {tries} attempt{'s' if tries > 1 else ''})",
                               url=self.url, status=last.status) from last

    def _post(self, data: bytes) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise _http_error(exc, self.url) from None
        except TimeoutError:
            raise TextBackendError(f"{self.url}: no answer within {self.timeout:g} s; the model may be loading or "
                                   "overloaded: raise the timeout, or check the server's log",
                                   url=self.url, retryable=True) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise TextBackendError(f"{self.url}: no answer within {self.timeout:g} s; the model may be loading "
                                       "or overloaded: raise the timeout, or check the server's log",
                                       url=self.url, retryable=True) from None
            raise TextBackendError(f"{self.url}: cannot connect ({reason}); {START_HINT}",
                                   url=self.url, retryable=True) from None
        except (ConnectionError, OSError) as exc:  # reset mid-answer, remote closed
            raise TextBackendError(f"{self.url}: connection failed ({exc}); {START_HINT}",
                                   url=self.url, retryable=True) from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise TextBackendError(f"{self.url}: answer is not JSON ({_snippet(raw)}); is this URL an "
                                   "OpenAI-compatible endpoint? it should end in /v1", url=self.url) from None


def _http_error(exc: urllib.error.HTTPError, url: str) -> TextBackendError:
    status = exc.code
    try:
        detail = _snippet(exc.read())
    except OSError:
        detail = ""
    what = f"{url}: HTTP {status}" + (f" ({detail})" if detail else "")
    if status in (401, 403):
        return TextBackendError(f"{what}: the server refused the API key; pass the right key (or none for a "
                                "local vLLM started without --api-key)", url=url, status=status)
    if status == 404:
        return TextBackendError(f"{what}: no such endpoint or model; the base URL should end in /v1 and the "
                                "model must be one the server lists at /v1/models", url=url, status=status)
    if status == 429:
        return TextBackendError(f"{what}: rate limited; wait or lower the request rate", url=url, status=status,
                                retryable=True)
    if status >= 500:
        return TextBackendError(f"{what}: server error; check the server's log (out of memory? model loading?)",
                                url=url, status=status, retryable=True)
    return TextBackendError(f"{what}: the server rejected the request; check the model name and the "
                            "server's limits (context length, max_tokens)", url=url, status=status)


def _content(payload: Any, url: str) -> str:
    """``choices[0].message.content`` of a chat completion, or an error saying what was there."""
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise TextBackendError(f"{url}: answer has no choices[0].message.content "
                               f"({_snippet(json.dumps(payload).encode())}); is this a chat-completions endpoint?",
                               url=url) from None
    if not isinstance(content, str):
        raise TextBackendError(f"{url}: choices[0].message.content is {type(content).__name__}, not text", url=url)
    return content


def _snippet(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
