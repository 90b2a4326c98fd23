"""Text backends: a transformers causal LM, an OpenAI-compatible endpoint, and the offline n-gram.

Why three: a producer with a GPU box serves a real model (vLLM behind ``endpoint``, or
``transformers`` in-process); a laptop with no download still needs every engine to run end to
end, which the n-gram writer makes possible at placeholder quality. torch and transformers are
imported only when their backend is built.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import BackendError, BackendSpec, TextRequest
from .diffusion import check_model_source, check_vocab
from .profile import resolve_device, resolve_dtype
from .text import ChatEndpoint

#: The bundled screenplays the n-gram writer learns from.
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def _transformers_dtype_kwarg(dtype: Any) -> dict[str, Any]:
    """transformers renamed ``torch_dtype`` to ``dtype`` in 4.56."""
    import transformers

    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return {"dtype": dtype} if (major, minor) >= (4, 56) else {"torch_dtype": dtype}


def _groups(requests: Sequence[TextRequest]) -> dict[tuple, list[int]]:
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(requests):
        groups.setdefault(r.batch_key(), []).append(i)
    return groups


class TransformersTextBackend:
    """``complete(requests) -> [str]`` with any hub causal LM (Qwen, Llama, Mistral, GPT-2 ...).

    The prompt goes through the tokenizer's chat template when it has one (system + user
    messages), else system and prompt are joined by a blank line. Greedy decoding when
    ``temperature == 0`` (batched, left-padded); sampling otherwise, one request at a time after
    ``torch.manual_seed(request.seed)`` so a seed gives the same text whatever the batch.
    Only the newly generated text is returned."""

    def __init__(self, spec: BackendSpec) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.spec = spec
        self.model_id = spec.model
        self.device = resolve_device(spec.device)
        self.dtype = resolve_dtype(spec.dtype, self.device)
        source = check_model_source(spec.model, task=spec.task, marker="config.json")
        try:
            tokenizer = AutoTokenizer.from_pretrained(source)
            check_vocab(tokenizer, spec.model, spec.task)
            model = AutoModelForCausalLM.from_pretrained(source, **_transformers_dtype_kwarg(self.dtype))
        except (OSError, ValueError) as exc:
            raise BackendError(f"[{spec.task}] cannot load causal LM {spec.model!r}: {exc}; "
                               f"`huggingface-cli download {spec.model}` or fix the profile key [{spec.task}] model"
                               ) from None
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.tokenizer = tokenizer
        self.model = model.to(self.device).eval()
        self._torch = torch

    def prompt_text(self, request: TextRequest) -> str:
        """What the model is asked: the chat template's rendering, or system + prompt."""
        if getattr(self.tokenizer, "chat_template", None):
            messages = ([{"role": "system", "content": request.system}] if request.system else []) + \
                [{"role": "user", "content": request.prompt}]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return f"{request.system}\n\n{request.prompt}" if request.system else request.prompt

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        out: list[str] = [""] * len(requests)
        for indices in _groups(requests).values():
            batch = [requests[i] for i in indices]
            if batch[0].temperature > 0:
                texts = [self._generate([r], sample=True)[0] for r in batch]
            else:
                texts = self._generate(batch, sample=False)
            for i, text in zip(indices, texts, strict=True):
                out[i] = text
        return out

    def _generate(self, batch: list[TextRequest], *, sample: bool) -> list[str]:
        torch = self._torch
        templated = bool(getattr(self.tokenizer, "chat_template", None))
        enc = self.tokenizer([self.prompt_text(r) for r in batch], return_tensors="pt", padding=True,
                             add_special_tokens=not templated).to(self.device)
        kwargs: dict[str, Any] = dict(max_new_tokens=batch[0].max_new_tokens, pad_token_id=self.tokenizer.pad_token_id,
                                      do_sample=sample)
        if sample:
            torch.manual_seed(int(batch[0].seed))
            kwargs["temperature"] = float(batch[0].temperature)
        with torch.inference_mode():
            ids = self.model.generate(**enc, **kwargs)
        new = ids[:, enc["input_ids"].shape[1]:]
        return [t.strip() for t in self.tokenizer.batch_decode(new, skip_special_tokens=True)]


class EndpointTextBackend:
    """``complete(requests) -> [str]`` through an OpenAI-compatible server (vLLM, llama.cpp, Ollama).

    ``spec.model`` is the model name the server serves; ``spec.options["base_url"]`` its URL
    (default ``http://127.0.0.1:8000/v1``); ``timeout`` and ``max_retries`` options bound each
    request. The API key never sits in a profile: it is the ``api_key`` argument, else
    ``Settings.llm_api_key`` (``STUDIO_LLM_API_KEY``). Errors are the client's
    :class:`~studio_kit.generation.text.TextBackendError`, which name the URL and what to do."""

    def __init__(self, spec: BackendSpec, *, api_key: str | None = None) -> None:
        for banned in ("api_key", "api_key_env"):
            if banned in spec.options:
                raise BackendError(f"[{spec.task}.options] {banned} is not allowed in a profile (profiles are shared "
                                   "and stored); set STUDIO_LLM_API_KEY in the environment instead")
        if api_key is None:
            from studio_kit.settings import Settings

            api_key = Settings.from_env().llm_api_key
        self.spec = spec
        self.model_id = spec.model
        self.base_url = str(spec.options.get("base_url", "http://127.0.0.1:8000/v1"))
        self._api_key = api_key
        self.timeout = float(spec.options.get("timeout", 60.0))
        self.max_retries = int(spec.options.get("max_retries", 2))
        try:
            self._endpoint(0.0, 16)  # validates the URL and model name now, not at the first job
        except ValueError as exc:
            raise BackendError(f"[{spec.task}] {exc}") from None

    def __repr__(self) -> str:
        return f"EndpointTextBackend(model={self.model_id!r}, base_url={self.base_url!r})"

    def _endpoint(self, temperature: float, max_tokens: int) -> ChatEndpoint:
        return ChatEndpoint(self.base_url, self.model_id, api_key=self._api_key, timeout=self.timeout,
                            max_retries=self.max_retries, temperature=temperature, max_tokens=max_tokens)

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        out: list[str] = []
        for r in requests:
            messages = ([{"role": "system", "content": r.system}] if r.system else []) + \
                [{"role": "user", "content": r.prompt}]
            out.append(self._endpoint(r.temperature, r.max_new_tokens).complete(messages))
        return out


_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*|[.!?,;:]")
_SENTENCE_END = {".", "!", "?"}
_START = "<s>"


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("*", " ").replace("_", " "))


class NGramTextBackend:
    """The offline default writer: a word trigram model with backoff, trained when it loads on the
    dialogue and action lines of the bundled screenplays (``data/sample/*.fountain``).

    Honest scope: this is placeholder-quality text. It continues the prompt's last two words with
    phrases recombined from the sample scripts, so every engine that asks for text runs end to end
    on a laptop with nothing downloaded, and output is reproducible (a function of the prompt and
    ``request.seed``). It does not follow instructions or know the story. Real writing needs the
    ``transformers`` or ``endpoint`` backend in the model profile.

    ``spec.options["corpus_dir"]`` points at another folder of .fountain files."""

    def __init__(self, spec: BackendSpec) -> None:
        from studio_kit.screenplay import ElementType, read_fountain

        self.spec = spec
        self.model_id = spec.model
        folder = Path(str(spec.options.get("corpus_dir", SAMPLE_DIR)))
        files = sorted(folder.glob("*.fountain"))
        if not files:
            raise BackendError(f"[{spec.task}] the n-gram writer found no .fountain scripts in {folder}; set "
                               f"[{spec.task}.options] corpus_dir to a folder of screenplays")
        self.trigrams: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.bigrams: dict[str, Counter[str]] = defaultdict(Counter)
        self.unigrams: Counter[str] = Counter()
        self.surface: dict[str, Counter[str]] = defaultdict(Counter)  # lower-case key -> forms as written
        kinds = (ElementType.DIALOGUE, ElementType.ACTION)
        for f in files:
            for el in read_fountain(f).elements:
                if el.type in kinds:
                    self._learn(_tokens(el.text))
        self.vocabulary = {self._form(w) for w in self.unigrams if w != _START}

    def _learn(self, words: list[str]) -> None:
        sentence: list[str] = []
        for w in words:
            sentence.append(w)
            if w in _SENTENCE_END:
                self._learn_sentence(sentence)
                sentence = []
        if sentence:
            self._learn_sentence(sentence + ["."])

    def _learn_sentence(self, words: list[str]) -> None:
        keys = [_START, _START] + [w.lower() for w in words]
        for w in words:
            self.surface[w.lower()][w] += 1
        for a, b, c in zip(keys, keys[1:], keys[2:], strict=False):
            self.trigrams[(a, b)][c] += 1
            self.bigrams[b][c] += 1
            self.unigrams[c] += 1

    def _form(self, key: str) -> str:
        return self.surface[key].most_common(1)[0][0] if key in self.surface else key

    def _next(self, a: str, b: str, rng: random.Random, sharpness: float) -> str:
        """Stupid backoff: the trigram's continuations, else the bigram's, else the unigram's."""
        for table in (self.trigrams.get((a, b)), self.bigrams.get(b), self.unigrams):
            if table:
                words = sorted(table)  # a fixed order, so the seed alone decides
                weights = [table[w] ** sharpness for w in words]
                return rng.choices(words, weights)[0]
        return "."

    def complete(self, requests: Sequence[TextRequest]) -> list[str]:
        return [self._complete(r) for r in requests]

    def _complete(self, request: TextRequest) -> str:
        rng = random.Random(f"{request.seed}\n{request.prompt}")
        context = [_START, _START] + [w.lower() for w in _tokens(request.prompt)]
        if context[-1] in _SENTENCE_END:
            context += [_START, _START]
        a, b = context[-2], context[-1]
        new_sentence = b == _START
        # temperature 0 still samples (a seeded, sharpened choice): greedy n-grams loop on one phrase.
        sharpness = 1.0 / max(request.temperature, 0.5)
        limit = max(1, request.max_new_tokens)
        minimum = min(8, limit)
        out: list[str] = []
        while len(out) < limit:
            w = self._next(a, b, rng, sharpness)
            out.append(w)
            if w in _SENTENCE_END:
                if len(out) >= minimum:
                    break
                a, b = _START, _START
            else:
                a, b = b, w
        return _detokenize([self._form(w) for w in out], capital=new_sentence)


def _detokenize(words: list[str], *, capital: bool) -> str:
    """Words back to text: no space before punctuation, a capital after a sentence end."""
    text = ""
    for w in words:
        if w in _SENTENCE_END or w in {",", ";", ":"}:
            text += w
            capital = w in _SENTENCE_END
            continue
        if capital:
            w = w[:1].upper() + w[1:]
            capital = False
        text += (" " if text else "") + w
    return text
