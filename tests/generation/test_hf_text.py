"""Text backends on real inputs: a tiny random-weight causal LM through transformers, the endpoint
adapter against a real HTTP server on 127.0.0.1, and the n-gram writer trained on the samples."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio_kit.generation.base import BackendError, BackendSpec, TextRequest
from studio_kit.generation.hf_text import (
    SAMPLE_DIR,
    EndpointTextBackend,
    NGramTextBackend,
    TransformersTextBackend,
)
from studio_kit.generation.profile import DEFAULTS, load_backend
from studio_kit.generation.text import TextBackendError
from studio_kit.screenplay import ElementType, read_fountain
from tests.generation.test_text_endpoint import ReplayServer, Reply, chat_reply


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


# -- n-gram ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def ngram() -> NGramTextBackend:
    return load_backend(DEFAULTS["text"])


def sample_words() -> set[str]:
    words: set[str] = set()
    for f in sorted(SAMPLE_DIR.glob("*.fountain")):
        for el in read_fountain(f).elements:
            if el.type in (ElementType.DIALOGUE, ElementType.ACTION):
                words |= {w.lower() for w in re.findall(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*", el.text)}
    return words


def test_ngram_is_deterministic_per_seed_and_varies_with_it(ngram: NGramTextBackend) -> None:
    reqs = [TextRequest("Viktor looks at the", seed=s, max_new_tokens=30) for s in (1, 1, 2, 3)]
    a, b, c, d = ngram.complete(reqs)
    assert a == b and a
    assert len({a, c, d}) > 1
    assert ngram.complete([reqs[0]]) == [a]  # batch or alone, the same text


def test_ngram_writes_words_of_the_sample_within_the_limit(ngram: NGramTextBackend) -> None:
    known = sample_words()
    for seed in range(5):
        text = ngram.complete([TextRequest("", seed=seed, max_new_tokens=25)])[0]
        words = re.findall(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*", text)
        assert words and all(w.lower() in known for w in words)
        assert len(re.findall(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*|[.!?,;:]", text)) <= 25


def test_ngram_stops_at_a_sentence_end_after_the_minimum(ngram: NGramTextBackend) -> None:
    texts = ngram.complete([TextRequest("The bridge", seed=s, max_new_tokens=200) for s in range(5)])
    assert all(t.endswith((".", "!", "?")) for t in texts)
    assert any(len(t.split()) < 200 for t in texts)


def test_ngram_without_a_corpus_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="corpus_dir"):
        NGramTextBackend(BackendSpec("text", "ngram", "x", options={"corpus_dir": str(tmp_path)}))


# -- transformers ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def lm_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("transformers")
    from tests.generation.tiny_models import build_tiny_causal_lm

    root = tmp_path_factory.mktemp("tiny_lm")
    return {"chat": build_tiny_causal_lm(root / "chat"), "plain": build_tiny_causal_lm(root / "plain",
                                                                                      chat_template=False)}


def lm(folder: Path) -> TransformersTextBackend:
    return TransformersTextBackend(BackendSpec("text", "transformers", str(folder), device="cpu", dtype="float32"))


def test_transformers_returns_only_new_text_and_greedy_is_deterministic(lm_folders: dict[str, Path]) -> None:
    backend = lm(lm_folders["plain"])
    reqs = [TextRequest("the night train", max_new_tokens=6), TextRequest("maya runs to the door at night",
                                                                             max_new_tokens=6)]
    first = backend.complete(reqs)
    assert backend.complete(reqs) == first
    assert backend.complete(reqs[1:]) == first[1:]  # left padding: batch or alone, the same
    prompt_ids = backend.tokenizer(reqs[0].prompt)["input_ids"]
    new_ids = backend.tokenizer(first[0])["input_ids"]
    assert 0 < len(new_ids) <= 6 and not first[0].startswith("the night train")
    assert len(prompt_ids) == 3


def test_transformers_sampling_is_seeded(lm_folders: dict[str, Path]) -> None:
    backend = lm(lm_folders["plain"])
    r = [TextRequest("hello", max_new_tokens=8, temperature=1.0, seed=s) for s in (4, 4, 5)]
    a, b, c = backend.complete(r)
    assert a == b
    assert a != c or backend.complete([TextRequest("hello", max_new_tokens=8, temperature=1.0, seed=6)])[0] != a


def test_transformers_uses_the_chat_template_when_there_is_one(lm_folders: dict[str, Path]) -> None:
    chat, plain = lm(lm_folders["chat"]), lm(lm_folders["plain"])
    r = TextRequest("maya runs", system="be brief")
    assert chat.prompt_text(r) == "system : be brief . user : maya runs . assistant : "
    assert plain.prompt_text(r) == "be brief\n\nmaya runs"
    assert chat.complete([TextRequest("maya runs", max_new_tokens=4)]) == \
        chat.complete([TextRequest("maya runs", max_new_tokens=4)])


def test_transformers_tokenizer_trap_and_missing_folder(lm_folders: dict[str, Path], tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    broken = tmp_path / "broken"
    broken.mkdir()
    for f in lm_folders["plain"].iterdir():
        if not f.name.startswith("tokenizer"):
            (broken / f.name).symlink_to(f)
    tiny = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"<unk>": 0, "</s>": 1},
                                                                               unk_token="<unk>")),
                                   unk_token="<unk>", eos_token="</s>")
    tiny.save_pretrained(broken)
    with pytest.raises(BackendError, match="only 2 tokens"):
        lm(broken)
    with pytest.raises(BackendError, match="does not exist"):
        lm(tmp_path / "missing")


def test_transformers_uncached_hub_id_says_what_to_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(BackendError, match="huggingface-cli download Qwen/Qwen2.5-0.5B-Instruct"):
        TransformersTextBackend(BackendSpec("text", "transformers", "Qwen/Qwen2.5-0.5B-Instruct", device="cpu"))


# -- endpoint ----------------------------------------------------------------------------------------

@pytest.fixture
def server() -> Iterator[ReplayServer]:
    s = ReplayServer()
    yield s
    s.close()


def endpoint_spec(server: ReplayServer, **options: object) -> BackendSpec:
    return BackendSpec("text", "endpoint", "test-model",
                       options={"base_url": server.base_url, "timeout": 2.0, "max_retries": 0, **options})


def test_endpoint_sends_system_prompt_and_limits(server: ReplayServer) -> None:
    server.responder = lambda body: chat_reply(f"echo: {body['messages'][-1]['content']}")
    backend = EndpointTextBackend(endpoint_spec(server), api_key="sk-local-key")
    out = backend.complete([TextRequest("Say hi.", system="Be brief.", max_new_tokens=12, temperature=0.3),
                            TextRequest("Again.")])
    assert out == ["echo: Say hi.", "echo: Again."]
    first = server.received[0]
    assert first.path == "/v1/chat/completions"
    assert first.body["model"] == "test-model" and first.body["max_tokens"] == 12
    assert first.body["temperature"] == 0.3
    assert first.body["messages"] == [{"role": "system", "content": "Be brief."},
                                      {"role": "user", "content": "Say hi."}]
    assert first.headers["Authorization"] == "Bearer sk-local-key"
    assert "sk-local-key" not in repr(backend)


def test_endpoint_key_comes_from_settings(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_LLM_API_KEY", "sk-from-env")
    server.replies.append(chat_reply("ok"))
    assert EndpointTextBackend(endpoint_spec(server)).complete([TextRequest("x")]) == ["ok"]
    assert server.received[0].headers["Authorization"] == "Bearer sk-from-env"


def test_endpoint_refuses_keys_in_the_profile(server: ReplayServer) -> None:
    for key in ("api_key_env", "api_key"):
        with pytest.raises(BackendError, match=f"{key} is not allowed"):
            EndpointTextBackend(endpoint_spec(server, **{key: "X"}))
    with pytest.raises(BackendError, match="http://"):
        EndpointTextBackend(BackendSpec("text", "endpoint", "m", options={"base_url": "127.0.0.1:8000"}))


def test_endpoint_errors_name_the_url(server: ReplayServer) -> None:
    server.replies.append(Reply(401, '{"error": "bad key"}'))
    with pytest.raises(TextBackendError, match=re.escape(server.base_url)):
        EndpointTextBackend(endpoint_spec(server), api_key="wrong").complete([TextRequest("x")])
