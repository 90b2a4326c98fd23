"""Generation benchmark: what the Ray runner costs per job, how it scales over GPU nodes, and GPU speed.

1. Per-job overhead of the runner path (store rows, Ray dispatch, PNG bytes back, content-addressed
   artifact, result + usage transaction) against calling the same backend directly in this process
   on the same requests (and encoding + storing the same PNGs, so both paths produce the same
   files): the procedural backend and, when ``tests/generation/tiny_models.py`` is present, a tiny
   random-weight diffusers pipeline; batch sizes 1, 4, 16; one warm worker (model loaded before
   timing). The goal is under 5% at realistic batch sizes and model costs.
2. Throughput (jobs/s) on a simulated cluster (``ray.cluster_utils.Cluster``, fake GPUs on
   127.0.0.1) with 1 and then 2 GPU nodes, for a backend whose work is a fixed duration per image
   (a stand-in for GPU time), so the scaling is visible on any machine.
3. With CUDA: images/s for an SD-1.5-size pipeline (random weights from the SD 1.5 configs) at
   512x512 in fp16, through the runner (one GPU worker) and through a plain diffusers loop.

    python benchmarks/bench_generation.py [--quick] [--steps 20] [--skip-cluster] [--skip-gpu]

It prints one table; it asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from studio_kit.generation import jobs  # noqa: E402
from studio_kit.generation.base import BackendSpec, ImageRequest  # noqa: E402
from studio_kit.generation.profile import load_backend  # noqa: E402
from studio_kit.generation.runner import Runner  # noqa: E402
from studio_kit.settings import Settings  # noqa: E402
from studio_kit.store import Store, artifacts  # noqa: E402

ROWS: list[tuple[str, str, str, str, str]] = []


def row(section: str, case: str, direct: str, runner: str, note: str = "") -> None:
    ROWS.append((section, case, direct, runner, note))
    print(f"  {section:<10} {case:<34} {direct:>14} {runner:>14}  {note}", flush=True)


def _requests(n: int, size: tuple[int, int], tag: str, steps: int = 2) -> list[ImageRequest]:
    return [ImageRequest(f"{tag} shot {i}, a night train at the platform", width=size[0], height=size[1],
                         seed=i, steps=steps) for i in range(n)]


def _direct(backend, requests: list[ImageRequest], batch: int, assets: Path) -> float:
    """Seconds for the backend called in this process, with the same PNG encoding and artifact writes."""
    start = time.perf_counter()
    for i in range(0, len(requests), batch):
        for image in backend.generate(requests[i:i + batch]):
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            artifacts.put(assets, buf.getvalue(), "png")
    return time.perf_counter() - start


def _through_runner(runner: Runner, spec: BackendSpec, requests: list[ImageRequest]) -> tuple[float, int]:
    """Seconds for the runner to take the queued requests to done, and how many batches it ran
    (each batch is marked running at one instant, so batches = distinct ``started_at``)."""
    ids = [runner.submit("image", r, spec=spec) for r in requests]
    start = time.perf_counter()
    frame = runner.run(ids)
    seconds = time.perf_counter() - start
    bad = frame.filter(frame["status"] != "done")
    if bad.height:
        raise RuntimeError(f"{bad.height} jobs did not finish: {bad['error'].to_list()[:3]}")
    return seconds, frame["started_at"].n_unique()


def bench_overhead(tmp: Path, quick: bool) -> None:
    cases: list[tuple[str, BackendSpec, tuple[int, int]]] = [
        ("procedural 256x256", BackendSpec("image", "procedural", "procedural/storyboard-v1", device="cpu"), (256, 256)),
    ]
    if (REPO / "tests/generation/tiny_models.py").exists():
        from tests.generation.tiny_models import build_tiny_sd

        folder = build_tiny_sd(tmp / "tiny-sd", channels=(32, 64))
        cases.append(("tiny SD (32,64) 64x64 2 steps",
                      BackendSpec("image", "diffusers", str(folder), device="cpu", dtype="float32"), (64, 64)))
    try:  # Ray gives a 1-CPU worker one thread (OMP_NUM_THREADS=1); the direct path gets the same
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    settings = Settings(data_dir=tmp, assets_dir=tmp / "assets-runner")
    store = Store.open(tmp / "bench.duckdb", migrations=jobs.ALL_MIGRATIONS)
    scope = store.ensure_project("bench", "overhead")
    runner = Runner(scope, settings, progress=False, max_workers=1)
    try:
        for name, spec, size in cases:
            backend = load_backend(spec)
            backend.generate(_requests(1, size, "warm"))
            _through_runner(runner, spec, _requests(1, size, "warm"))  # loads the worker's model
            for batch in (1, 4, 16):
                n = max(2 * batch, 8) if quick else max(4 * batch, 32)
                s = BackendSpec(spec.task, spec.backend, spec.model, spec.device, spec.dtype, spec.num_gpus, batch,
                                spec.options)
                direct = _direct(backend, _requests(n, size, f"d{batch}"), batch, tmp / "assets-direct") / n
                ray_s, batches = _through_runner(runner, s, _requests(n, size, f"r{batch}"))
                ray_s /= n
                row("overhead", f"{name} b={batch} (n={n})", f"{direct * 1000:.1f} ms/job",
                    f"{ray_s * 1000:.1f} ms/job", f"overhead {100 * (ray_s - direct) / direct:+.1f}%; "
                    f"{batches} runner batches (expected {n // batch})")
            del backend
    finally:
        runner.close()
        store.close()


def bench_cluster(tmp: Path, quick: bool) -> None:
    import ray
    from ray.cluster_utils import Cluster

    from tests.generation.runner_backends import GradientBackend

    root = Path(tempfile.mkdtemp(prefix="skbc-"))
    (root / "ray").mkdir()
    os.environ["RAY_TMPDIR"] = str(root)  # Cluster writes its address file under $RAY_TMPDIR/ray
    per_image = 0.05
    n = 32 if quick else 128
    spec = BackendSpec("image", "gradient", "test/gradient-fixed", num_gpus=1, batch_size=4,
                       options={"sleep": per_image})
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 0, "include_dashboard": False})
    store = Store.open(tmp / "cluster.duckdb", migrations=jobs.ALL_MIGRATIONS)
    try:
        ray.init(address=c.address, log_to_driver=False)
        scope = store.ensure_project("bench", "cluster")
        settings = Settings(data_dir=tmp, assets_dir=tmp / "assets-cluster")
        for nodes in (1, 2):
            c.add_node(num_cpus=1, num_gpus=1)
            c.wait_for_nodes()
            runner = Runner(scope, settings, progress=False, backend_factory=GradientBackend)
            try:
                _through_runner(runner, spec, _requests(4 * 2 * nodes, (64, 64), f"warm{nodes}"))
                seconds, _ = _through_runner(runner, spec, _requests(n, (64, 64), f"c{nodes}"))
                nodes_used = runner.jobs().filter(runner.jobs()["status"] == "done")["node_id"].n_unique()
            finally:
                runner.close()
            row("scaling", f"{nodes} GPU node(s), {per_image * 1000:.0f} ms/image, n={n}",
                f"ideal {nodes / per_image:.1f}/s", f"{n / seconds:.1f} jobs/s", f"nodes used {nodes_used}")
    finally:
        store.close()
        ray.shutdown()
        c.shutdown()
        os.environ.pop("RAY_TMPDIR", None)


def build_sd15_size(folder: Path) -> Path:
    """A Stable Diffusion 1.5-size pipeline with random weights (real architecture, honest speed), fp16."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from tests.generation.tiny_models import save_clip_tokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"))
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
        block_out_channels=(128, 256, 512, 512), down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4)
    tok_dir = save_clip_tokenizer(folder / "_tok")
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir)
    text_encoder = CLIPTextModel(CLIPTextConfig(  # CLIP ViT-L/14 text tower size
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12, vocab_size=49408,
        max_position_embeddings=77, projection_dim=768))
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       steps_offset=1)
    pipe = StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   image_encoder=None, requires_safety_checker=False)
    pipe.to(torch.float16).save_pretrained(folder, safe_serialization=True)
    return folder


def bench_gpu(tmp: Path, quick: bool, steps: int) -> None:
    import torch
    from diffusers import StableDiffusionPipeline

    folder = build_sd15_size(tmp / "sd15-size")
    batch = 4
    n = 8 if quick else 32
    # plain diffusers loop
    pipe = StableDiffusionPipeline.from_pretrained(folder, torch_dtype=torch.float16).to("cuda")
    pipe.set_progress_bar_config(disable=True)

    def plain(reqs: list[ImageRequest]) -> float:
        torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, len(reqs), batch):
            chunk = reqs[i:i + batch]
            gens = [torch.Generator("cuda").manual_seed(r.seed) for r in chunk]
            with torch.inference_mode():
                pipe(prompt=[r.prompt for r in chunk], num_inference_steps=steps, guidance_scale=0.0,
                     width=512, height=512, generator=gens)
        torch.cuda.synchronize()
        return time.perf_counter() - start

    plain(_requests(batch, (512, 512), "warm", steps))
    plain_s = plain(_requests(n, (512, 512), "plain", steps))
    name = torch.cuda.get_device_name(0)
    pipe.to("cpu")
    torch.cuda.empty_cache()
    spec = BackendSpec("image", "diffusers", str(folder), device="cuda", dtype="float16", num_gpus=1,
                       batch_size=batch)
    settings = Settings(data_dir=tmp, assets_dir=tmp / "assets-gpu")
    store = Store.open(tmp / "gpu.duckdb", migrations=jobs.ALL_MIGRATIONS)
    scope = store.ensure_project("bench", "gpu")
    runner = Runner(scope, settings, progress=False)
    try:
        _through_runner(runner, spec, _requests(batch, (512, 512), "warm", steps))
        ray_s, _ = _through_runner(runner, spec, _requests(n, (512, 512), "runner", steps))
        kinds = set(runner.jobs()["gpu_kind"])
    finally:
        runner.close()
        store.close()
    row("gpu", f"SD1.5-size fp16 512x512 {steps} steps b={batch}", f"{n / plain_s:.2f} img/s",
        f"{n / ray_s:.2f} img/s", f"{name}; worker saw {', '.join(sorted(kinds))}; "
        f"overhead {100 * (ray_s - plain_s) / plain_s:+.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI-sized runs (fewer jobs)")
    ap.add_argument("--steps", type=int, default=20, help="denoising steps for the GPU section")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--skip-cluster", action="store_true")
    ap.add_argument("--skip-gpu", action="store_true")
    args = ap.parse_args()
    print(f"  {'section':<10} {'case':<34} {'direct':>14} {'runner':>14}  note")
    with tempfile.TemporaryDirectory(prefix="skbench-") as d:
        tmp = Path(d)
        if not args.skip_overhead:
            bench_overhead(tmp, args.quick)
        if not args.skip_cluster:
            bench_cluster(tmp, args.quick)
        if not args.skip_gpu:
            try:
                import torch

                cuda = torch.cuda.is_available()
            except ImportError:
                cuda = False
            if cuda:
                bench_gpu(tmp, args.quick, args.steps)
            else:
                row("gpu", "SD1.5-size fp16 512x512", "-", "-", "skipped: no CUDA device")
    print("\nResults")
    print(f"| {'section':<9} | {'case':<44} | {'direct':>14} | {'runner':>14} | note")
    print(f"|{'-' * 11}|{'-' * 46}|{'-' * 16}|{'-' * 16}|------")
    for section, case, direct, runner, note in ROWS:
        print(f"| {section:<9} | {case:<44} | {direct:>14} | {runner:>14} | {note}")


if __name__ == "__main__":
    main()
