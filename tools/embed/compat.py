"""Make ``muq`` 0.1.0 import on the project's stack without touching site-packages.

``muq`` was written against transformers 4 and a matching torchaudio; three things break
on the stack linernotes runs (torch 2.13 CPU, transformers 5):

* ``transformers.deepspeed`` was removed in transformers 5 (its contents live in
  ``transformers.integrations.deepspeed``); ``muq``'s flash-attention conformer copy
  (``muq.muq.modules.flash_conformer``, used by ``is_flash`` configs) imports it. A tiny
  module with the one name it uses is registered in ``sys.modules``.
* torchaudio wheels on PyPI are CUDA builds pinned to one torch release; beside another
  torch their compiled extension fails to load and ``import torchaudio`` raises. ``muq``
  only needs torchaudio's pure-PyTorch transforms (``MelSpectrogram``, ``Spectrogram``,
  ``AmplitudeToDB``...), so when the extension cannot load, torchaudio is imported with
  its extension marked unavailable, the state torchaudio itself uses when the library
  file is absent. Its compiled-only features (forced alignment, CTC decoders) then raise.
* transformers 5's ``Wav2Vec2ConformerEncoder`` reads ``config._attn_implementation``
  (``muq`` hands it an ``EasyDict``, not a ``PretrainedConfig``) and no longer returns
  ``hidden_states`` itself (its model class records them now), which ``muq`` indexes.
  ``adapt_muq_model`` gives each such encoder the attribute and a forward that records the
  layers' inputs plus the final output: the transformers 4 ``hidden_states`` tuple that
  MuQ-MuLan's weights were trained with.
* ``x_clip`` (used by ``muq`` only for its tokenizer's vocabulary size) imports
  torchvision at package import, and PyPI's torchvision fails to import beside the CPU
  torch. When that happens, ``x_clip`` is registered as a bare package so that
  ``x_clip.tokenizer`` imports alone.

Each shim is installed only when the real import fails, and only once.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import types
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

MUQ_HINT = "MuQ-MuLan needs the 'muq' extra: pip install 'linernotes[muq]'"
# Which shims were installed in this process (reported by the embedder's backend info).
APPLIED: list[str] = []


def _purge(prefix: str) -> None:
    for name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[name]


def ensure_transformers_deepspeed() -> None:
    """Register ``transformers.deepspeed`` when transformers no longer ships it."""
    try:
        importlib.import_module("transformers.deepspeed")
        return
    except ImportError:
        pass
    try:
        from transformers.integrations.deepspeed import is_deepspeed_zero3_enabled
    except ImportError:  # very old or very new layouts: DeepSpeed is never on here

        def is_deepspeed_zero3_enabled() -> Any:
            return False

    shim = types.ModuleType("transformers.deepspeed")
    shim.__doc__ = "linernotes shim: transformers 5 moved this to transformers.integrations."
    shim.is_deepspeed_zero3_enabled = is_deepspeed_zero3_enabled  # type: ignore[attr-defined]
    sys.modules["transformers.deepspeed"] = shim
    APPLIED.append("transformers.deepspeed")


def _fail_if_no_align(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            f"torchaudio.{func.__name__} needs torchaudio's compiled extension, which does "
            "not load beside this torch; install the torchaudio release built for it"
        )

    return wrapped


def ensure_torchaudio() -> types.ModuleType | None:
    """Import torchaudio if installed, falling back to its pure-PyTorch parts when needed.

    Call it before the first import of a transformers model: transformers imports
    torchaudio whenever it is installed, and a torchaudio whose extension cannot load
    makes every transformers model import fail. Cheap when torchaudio is not installed.

    Returns:
        The torchaudio module, or None when it is not installed.
    """
    loaded = sys.modules.get("torchaudio")
    if loaded is not None:
        return loaded
    if importlib.util.find_spec("torchaudio") is None:
        return None
    try:
        return importlib.import_module("torchaudio")
    except OSError as e:  # the compiled extension was built for another torch (or CUDA)
        reason = str(e)
    _purge("torchaudio")
    stub = types.ModuleType("torchaudio._extension")
    stub.__doc__ = "linernotes shim: torchaudio's compiled extension is not loaded."
    stub._IS_TORCHAUDIO_EXT_AVAILABLE = False  # type: ignore[attr-defined]
    stub._IS_ALIGN_AVAILABLE = False  # type: ignore[attr-defined]
    stub.fail_if_no_align = _fail_if_no_align  # type: ignore[attr-defined]
    stub._load_lib = lambda lib: False  # type: ignore[attr-defined]
    stub._check_cuda_version = lambda: None  # type: ignore[attr-defined]
    sys.modules["torchaudio._extension"] = stub
    try:
        module = importlib.import_module("torchaudio")
    except Exception:
        _purge("torchaudio")
        raise
    log.info("torchaudio imported without its compiled extension (%s)", reason)
    APPLIED.append("torchaudio-pure-python")
    return module


def ensure_x_clip_tokenizer() -> None:
    """Make ``x_clip.tokenizer`` importable even when torchvision is broken or absent."""
    if "x_clip.tokenizer" in sys.modules:
        return
    try:
        importlib.import_module("x_clip.tokenizer")
        return
    except (ImportError, RuntimeError, OSError) as e:
        spec = importlib.util.find_spec("x_clip") if "x_clip" not in sys.modules else None
        if spec is None or not spec.submodule_search_locations:
            if isinstance(e, ModuleNotFoundError) and e.name == "x_clip":
                raise ModuleNotFoundError(MUQ_HINT, name="x_clip") from e
            raise
    _purge("x_clip")
    package = types.ModuleType("x_clip")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__doc__ = "linernotes shim: x_clip without its torchvision-based models."
    sys.modules["x_clip"] = package
    importlib.import_module("x_clip.tokenizer")
    APPLIED.append("x_clip-tokenizer-only")


def import_muq() -> types.ModuleType:
    """Import ``muq`` with the shims it needs here.

    Raises:
        ModuleNotFoundError: the 'muq' extra (or one of its packages) is not installed;
            the message says how to install it.
    """
    loaded = sys.modules.get("muq")
    if loaded is not None:
        return loaded
    if importlib.util.find_spec("muq") is None:
        raise ModuleNotFoundError(MUQ_HINT, name="muq")
    try:
        if ensure_torchaudio() is None:
            raise ModuleNotFoundError(f"{MUQ_HINT} (missing: torchaudio)", name="torchaudio")
        ensure_transformers_deepspeed()
        ensure_x_clip_tokenizer()
        return importlib.import_module("muq")
    except ModuleNotFoundError as e:
        if e.msg == MUQ_HINT:
            raise
        raise ModuleNotFoundError(f"{MUQ_HINT} (missing: {e.name})", name=e.name) from e


def _record_hidden_states(encoder: Any) -> Callable[..., Any]:
    """A forward for one conformer encoder that also returns transformers 4 hidden states."""
    original = encoder.forward

    def forward(
        hidden_states: Any,
        attention_mask: Any = None,
        output_hidden_states: bool = False,
        **kw: Any,
    ) -> Any:
        seen: list[Any] = []

        def grab(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            seen.append(args[0] if args else kwargs["hidden_states"])

        handles = [
            layer.register_forward_pre_hook(grab, with_kwargs=True) for layer in encoder.layers
        ]
        try:
            out = original(hidden_states, attention_mask=attention_mask)
        finally:
            for handle in handles:
                handle.remove()
        if output_hidden_states:
            out["hidden_states"] = (*seen, out["last_hidden_state"])
        return out

    return forward


def adapt_muq_model(model: Any, attn_implementation: str = "sdpa") -> int:
    """Fit the conformer encoders inside a built ``muq`` model to transformers 5.

    Returns:
        How many encoders were adapted (0 under transformers 4, which needs none).
    """
    from transformers import PretrainedConfig

    adapted = 0
    for module in model.modules():
        if type(module).__name__ != "Wav2Vec2ConformerEncoder":
            continue
        config = module.config
        if isinstance(config, PretrainedConfig) or getattr(module, "_linernotes_adapted", False):
            continue
        if not hasattr(config, "_attn_implementation"):
            config._attn_implementation = attn_implementation
        module._linernotes_adapted = True
        if "output_hidden_states" not in module.forward.__code__.co_varnames:
            module.forward = _record_hidden_states(module)
            adapted += 1
    if adapted and "conformer-hidden-states" not in APPLIED:
        APPLIED.append("conformer-hidden-states")
    return adapted
