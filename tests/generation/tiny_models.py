"""Tiny random-weight models with the real architectures, saved to a folder like a hub snapshot.

Why: no weights can be downloaded in tests or CI, yet the backends must run their real loading
code (``from_pretrained(folder)``) and real inference. These builders write small models (a few
MB at most, built in well under a second each) that the backends load exactly as they would load
``stabilityai/sd-turbo`` or ``facebook/mms-tts-eng``. Their outputs are noise, not pictures or
speech: use them for shapes, determinism, batching and speed plumbing, never for quality.

    from tests.generation.tiny_models import build_tiny_sd
    folder = build_tiny_sd(tmp_path / "sd")      # then BackendSpec("image", "diffusers", str(folder))

Every builder takes a target folder, creates it, and returns it (as a Path).
"""

from __future__ import annotations

import json
from pathlib import Path

#: Words the tiny text tokenizers know (anything else maps to [UNK] / <unk>).
TINY_WORDS = (
    "the a an and of to in on at is was he she it they we you i night train platform station maya leo "
    "conductor ticket window door rain light dark cold old woman man looks says runs stops waits "
    "hello goodbye yes no where when why what time late early . , ! ?"
).split()


def _clip_byte_vocab() -> dict[str, int]:
    """A byte-level CLIP vocabulary without merges: every byte symbol, alone and word-final."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    extra = [256 + n for n in range(256 - len(printable))]  # GPT-2's byte-to-unicode table
    symbols = [chr(c) for c in printable + extra]
    vocab: dict[str, int] = {}
    for s in symbols:
        vocab[s] = len(vocab)
    for s in symbols:
        vocab[s + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


def save_clip_tokenizer(folder: str | Path, vocab: dict[str, int] | None = None) -> Path:
    """Save a CLIPTokenizer built from an in-memory vocabulary with no merges, so the folder holds
    every file ``CLIPTokenizer.from_pretrained`` expects. ``vocab`` lets a test
    write a broken one (the 2-token trap)."""
    from transformers import CLIPTokenizer

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    vocab = _clip_byte_vocab() if vocab is None else vocab
    tok = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77, pad_token="<|endoftext|>")
    tok.save_pretrained(out)
    return out


def build_tiny_sd(folder: str | Path, *, channels: tuple[int, int] = (4, 8)) -> Path:
    """A Stable Diffusion 1.x pipeline (UNet, VAE, CLIP text encoder, tokenizer, Euler scheduler)
    with tiny random weights, saved with ``save_pretrained`` so ``AutoPipelineForText2Image`` loads it.

    ``channels`` are the UNet and VAE block widths: (4, 8) is the smallest diffusers tests use;
    (32, 64) gives slightly more realistic compute. The VAE downsamples by 2, so a 64x64 image
    denoises 32x32 latents."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=channels, layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, norm_num_groups=2, attention_head_dim=2)
    vae = AutoencoderKL(
        block_out_channels=list(channels), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=2,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2, sample_size=32)
    tok_dir = save_clip_tokenizer(out / "_tokenizer_src")
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, vocab_size=1000,
        max_position_embeddings=77, projection_dim=32))
    scheduler = EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                       timestep_spacing="trailing", steps_offset=1)
    pipe = StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   image_encoder=None, requires_safety_checker=False)
    pipe.save_pretrained(out, safe_serialization=True)
    for f in tok_dir.iterdir():
        f.unlink()
    tok_dir.rmdir()
    return out


def build_tiny_clip_vision(folder: str | Path, *, projection_dim: int = 16, image_size: int = 32) -> Path:
    """A ``CLIPVisionModelWithProjection`` + ``CLIPImageProcessor`` (what ClipImageEmbedder and the
    IP-Adapter image encoder load), with tiny random weights."""
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, image_size=image_size,
        patch_size=8, projection_dim=projection_dim))
    model.save_pretrained(out)
    CLIPImageProcessor(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
                       ).save_pretrained(out)
    return out


def build_tiny_ip_adapter(folder: str | Path, sd_folder: str | Path, *,
                          weight_name: str = "ip-adapter_tiny.safetensors") -> Path:
    """An IP-Adapter laid out like ``h94/IP-Adapter``: ``<folder>/models/<weight_name>`` plus
    ``<folder>/models/image_encoder/``, with weight shapes read off the tiny pipeline's own UNet
    (one to_k_ip/to_v_ip pair per cross-attention layer, keys 1, 3, 5, ... as in the original
    release; an image projection to 4 tokens). Load with
    ``pipe.load_ip_adapter(folder, subfolder="models", weight_name=weight_name)``."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file

    out = Path(folder)
    models = out / "models"
    build_tiny_clip_vision(models / "image_encoder")
    unet = UNet2DConditionModel.from_pretrained(Path(sd_folder) / "unet")
    cross = int(unet.config.cross_attention_dim)
    clip_dim = 16
    torch.manual_seed(1)
    tensors: dict[str, torch.Tensor] = {
        "image_proj.proj.weight": torch.randn(cross * 4, clip_dim),
        "image_proj.proj.bias": torch.zeros(cross * 4),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        attn = unet.get_submodule(name.removesuffix(".processor"))
        hidden = attn.to_k.out_features
        tensors[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross)
        tensors[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross)
        key_id += 2
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(models / weight_name))
    return out


def _word_tokenizer(words: tuple[str, ...] = TINY_WORDS, *, chat_template: bool = True):
    """A word-level PreTrainedTokenizerFast built offline (tokenizers WordLevel), with a tiny chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<unk>", "<s>", "</s>"]
    vocab = {w: i for i, w in enumerate(specials + [w for w in words if w not in specials])}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", pad_token="<pad>", bos_token="<s>",
                                  eos_token="</s>")
    if chat_template:
        tok.chat_template = ("{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} . {% endfor %}"
                             "{% if add_generation_prompt %}assistant : {% endif %}")
    return tok


def build_tiny_causal_lm(folder: str | Path, *, chat_template: bool = True) -> Path:
    """A GPT-2 shaped causal LM (2 layers, 32 wide) with a word-level tokenizer; ``chat_template``
    False gives a tokenizer without one (the backend then concatenates system and prompt)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tok = _word_tokenizer(chat_template=chat_template)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                                       bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                       pad_token_id=tok.pad_token_id))
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def build_tiny_vits(folder: str | Path) -> Path:
    """A ``VitsModel`` (the MMS-TTS architecture) with tiny random weights and a character
    ``VitsTokenizer`` (lower-case letters, space, punctuation)."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    chars = ["<pad>", "<unk>", " "] + list("abcdefghijklmnopqrstuvwxyz'.,!?-")
    (out / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(chars)}), encoding="utf-8")
    tok = VitsTokenizer(str(out / "vocab.json"), pad_token="<pad>", unk_token="<unk>", language=None,
                        add_blank=True, normalize=True, phonemize=False, is_uroman=False)
    torch.manual_seed(0)
    config = VitsConfig(
        vocab_size=len(chars), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, window_size=2,
        ffn_dim=32, flow_size=16, spectrogram_bins=33, upsample_initial_channel=16,
        upsample_rates=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=2, prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1, duration_predictor_num_flows=2,
        duration_predictor_filter_channels=16, depth_separable_num_layers=2, sampling_rate=16000)
    VitsModel(config).save_pretrained(out)
    tok.save_pretrained(out)
    return out
