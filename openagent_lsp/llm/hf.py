"""In-process transformers backend: load (CUDA, 4-bit, int8, bf16 or fp32), stream, reuse KV caches.

The decoding loop is our own rather than ``model.generate`` because we need, at once: token-by-token
streaming, cancellation between tokens, a key/value cache kept per document and reused when the next
prompt extends the last one, prompt-lookup drafting verified greedily, and a priority gate so
completions overtake chat on the one model.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openagent_lsp import heap
from openagent_lsp.errors import GenerationCancelled, ModelLoadError
from openagent_lsp.llm.base import (
    BackendInfo,
    CancelToken,
    FimFormat,
    GenerationRequest,
    GenerationStats,
    Priority,
    ProgressCallback,
)
from openagent_lsp.llm.calibration import Calibration, cache_key, calibrate, cpu_description, load_cached, save
from openagent_lsp.llm.fim import detect_fim_format
from openagent_lsp.llm.head import FullHead, build_head
from openagent_lsp.llm.kind import detect_model_kind
from openagent_lsp.llm.loading import LoadProgress
from openagent_lsp.llm.lookup import find_draft
from openagent_lsp.llm.precision import PrecisionChoice, choose_precision
from openagent_lsp.llm.scheduler import PriorityGate
from openagent_lsp.llm.sources import ResolvedModel, default_cache_dir, resolve_model
from openagent_lsp.llm.text import TRANSCRIPT_STOPS, apply_stops, transcript_prompt
from openagent_lsp.llm.threads import ThreadPolicy, usable_cpus
from openagent_lsp.logging import get_logger

log = get_logger(__name__)


@dataclass
class _KVEntry:
    ids: list[int]
    cache: Any


@dataclass
class _Run:
    """Bookkeeping of one generation: what is in the KV cache, what was produced."""

    fed: list[int]
    cache: Any
    generated: list[int] = field(default_factory=list)
    stats: GenerationStats = field(default_factory=GenerationStats)


class TransformersLLM:
    """A causal LM run in this process. Thread-safe; every forward pass goes through one gate."""

    def __init__(
        self,
        model_ref: str,
        *,
        device: str = "auto",
        precision: str = "auto",
        load_in_4bit: bool = False,
        cache_dir: str | Path | None = None,
        max_cached_prompts: int = 6,
        cpu_threads: int = 0,
        head: str = "auto",
        prefill_chunk: int = 256,
    ) -> None:
        self._cpu_threads = cpu_threads
        self.name = model_ref
        self.model_ref = model_ref
        self._device_pref = device
        self._precision_pref = "4bit" if load_in_4bit else precision
        self._head_pref = head  # "auto" (calibrated, or full), "full" or "bf16-screened"
        self._cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._max_cached = max_cached_prompts
        # Prefills that may be overtaken (chat, background warming) run in chunks of this many tokens, so a
        # completion waits at most one chunk for the gate.
        self._prefill_chunk = prefill_chunk
        self._kv: OrderedDict[str, _KVEntry] = OrderedDict()
        self._kv_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self.gate = PriorityGate()
        self.model: Any = None
        self.tokenizer: Any = None
        self.head: FullHead | None = None
        self.calibration: Calibration | None = None
        self.threads = ThreadPolicy(cpu_threads)
        self._decoder_only = False  # True when the head is applied by us (self-checked at load)
        self._fim: FimFormat | None = None
        self._eos_ids: set[int] = set()
        self.info = BackendInfo("transformers")
        self.last_stats: GenerationStats | None = None
        self._last_warm_stats: GenerationStats | None = None
        self._cache_kwarg = "past_key_values"

    # -- loading -------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.model is not None

    @property
    def fim_format(self) -> FimFormat | None:
        return self._fim

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._load_lock:
            if self.model is not None:
                return
            started = time.monotonic()
            try:
                import torch
                import transformers
            except ImportError as exc:
                raise ModelLoadError(
                    "in-process models need the 'local' extra: pip install 'openagent-lsp[local]' "
                    "(or point 'model' at ollama:NAME / openai:NAME)"
                ) from exc
            transformers.utils.logging.set_verbosity_error()
            transformers.utils.logging.disable_progress_bar()
            heap.freeze_long_lived()  # torch's modules: full collections while loading would walk them all
            steps = LoadProgress(progress)
            resolved = resolve_model(self.model_ref, self._cache_dir, progress)
            source = resolved.folder if isinstance(resolved, ResolvedModel) else resolved
            choice = choose_precision(self._precision_pref, self._device_pref)
            if choice.reason:
                log.warning("precision_fallback", requested=self._precision_pref, chosen=choice.precision,
                            device=choice.device, reason=choice.reason)
            steps.report(f"loading weights ({choice.precision} on {choice.device})", 58)
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(str(source), local_files_only=True)
                steps.report("loading weights", 60)
                with steps.transformers_bars("loading weights", 60, 78):
                    model = self._load_model(transformers, torch, str(source), choice)
            except ModelLoadError:
                raise
            except (OSError, ValueError) as exc:
                raise ModelLoadError(_explain_load_failure(self.model_ref, exc)) from exc
            model.eval()
            if choice.device == "cpu":
                torch.set_num_threads(self.threads.decide().threads)
            # transformers >= 5.24 renames the forward argument past_key_values -> cache.
            self._cache_kwarg = _cache_argument(model)
            steps.report("checking the model's head", 79)
            self._decoder_only = _head_is_plain(torch, model, self._cache_kwarg)
            precision, head_kind, reason = choice.precision, self._head_pref, choice.reason or choice.why
            if choice.measure:
                self.calibration = self._calibrated(model, tokenizer, source, steps)
                chosen = self.calibration.choice()
                precision = chosen.precision
                head_kind = chosen.head if head_kind == "auto" else head_kind
                reason = (f"measured on this machine: {chosen.name} "
                          f"({chosen.decode_ms_per_token:.0f} ms/token decode, "
                          f"{chosen.prefill_ms_per_token:.2f} ms/token prefill"
                          f"{', cached' if self.calibration.cached else ''})")
                if precision == "bf16":
                    model = model.to(torch.bfloat16)
            if precision == "int8":
                steps.report("quantizing Linear layers to int8", 96)
                model = _quantize_int8(torch, model)
            # Without a plain head the model's own forward computes the scores (of the kept positions only).
            self.head = build_head(model, head_kind) if self._decoder_only else FullHead(torch.nn.Identity())
            self.tokenizer = tokenizer
            self.model = model
            self._fim = detect_fim_format(tokenizer.get_vocab())
            self._eos_ids = _eos_ids(tokenizer, model)
            kind = detect_model_kind(tokenizer, model.config, self.model_ref)
            if choice.device == "cpu":
                self.threads.start()
            self.info = BackendInfo(
                "transformers",
                device=choice.device,
                precision=precision,
                reason=reason,
                load_seconds=time.monotonic() - started,
                converted=isinstance(resolved, ResolvedModel) and resolved.converted_now,
                source=resolved.description if isinstance(resolved, ResolvedModel) else str(resolved),
                parameters=sum(p.numel() for p in model.parameters()),
                threads=torch.get_num_threads() if choice.device == "cpu" else 0,
                kind=kind.kind.value, kind_reason=kind.reason,
                threads_policy=self.threads.describe() if choice.device == "cpu" else "",
                head=self.head.kind if self._decoder_only else "model",
                calibration=self.calibration.to_json() if self.calibration else None,
            )
            steps.report("model ready", 100)
            log.info("model_loaded", model=self.model_ref, device=choice.device, precision=precision,
                     head=self.info.head, fim=bool(self._fim), seconds=round(self.info.load_seconds, 2))

    def _calibrated(self, model: Any, tokenizer: Any, source: Any, steps: LoadProgress) -> Calibration:
        """The cached measurement for this model, CPU and torch, or a new one (first load on a machine)."""
        import torch

        cores = usable_cpus()
        folder = Path(str(source))
        key = cache_key(folder if folder.exists() else str(source), torch.__version__, cpu_description(), cores)
        path = self._cache_dir / "calibration" / f"{key}.json"
        cached = load_cached(path)
        if cached is not None:
            return cached
        span = steps.span("measuring number formats on this CPU (first load only)", 80, 96)
        ids = _calibration_ids(tokenizer)
        before = self.threads.decide()
        result = calibrate(model, ids, self._forward_detached, threads=before.threads,
                           progress=lambda message, fraction: span.at(fraction, message))
        # Figures taken while other processes kept a core busy say little about this machine: use them for
        # this session only and measure again at the next load.
        if before.others_busy >= 0.5:
            log.info("calibration_not_cached", reason="other processes were busy", others_busy=before.others_busy)
            return result
        try:
            save(path, result)
        except OSError as exc:
            log.warning("calibration_not_cached", error=str(exc))
        return result

    def _load_model(self, transformers: Any, torch: Any, source: str, choice: PrecisionChoice) -> Any:
        kwargs: dict[str, Any] = {"local_files_only": True}
        if choice.precision == "4bit":
            kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16, bnb_4bit_quant_type="nf4"
            )
            kwargs["device_map"] = {"": 0}
        else:
            kwargs["dtype"] = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(choice.precision, torch.float32)
        model = transformers.AutoModelForCausalLM.from_pretrained(source, **kwargs)
        if choice.device == "cuda" and choice.precision != "4bit":
            model = model.to("cuda")
        return model

    # -- tokens --------------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        self._require_loaded()
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        bos = self.tokenizer.bos_token_id
        # Models trained with BOS (Gemma, Llama) produce garbage without it, and the tokenizer converted
        # from Gemma's GGUF says add_bos_token=False: trust the presence of a BOS token instead.
        if bos is not None and (not ids or ids[0] != bos):
            ids = [bos, *ids]
        return ids

    def _plain_ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_tokens(self, text: str) -> int:
        if self.tokenizer is None:
            return max(1, len(text) // 4)  # before load: a conservative estimate
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _chat_text(self, messages: list[dict[str, str]]) -> tuple[str, list[str]]:
        """Chat messages in this model's own format, and the stop strings that format needs.

        The tokenizer's chat template when it has one (instruction-tuned models); otherwise a plain
        transcript, which a base model continues with the next turn unless stopped.
        """
        self._require_loaded()
        if getattr(self.tokenizer, "chat_template", None):
            try:
                text: str = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
                bos = self.tokenizer.bos_token
                # encode() adds BOS itself; avoid a doubled one.
                return (text[len(bos):] if bos and text.startswith(bos) else text), []
            except Exception as exc:
                log.warning("chat_template_failed", error=str(exc))
        return transcript_prompt(messages), list(TRANSCRIPT_STOPS)

    # -- generation ----------------------------------------------------------------------------

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(request, cancel))

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        """Yield text pieces as tokens are decoded; stop strings are applied here."""
        prompt, format_stops = (request.prompt, []) if request.messages is None else self._chat_text(request.messages)
        pieces = self._stream_text(prompt, request, cancel)
        yield from apply_stops(pieces, [*request.stop, *format_stops])

    def stream_ids(
        self, prompt_ids: list[int], request: GenerationRequest, cancel: CancelToken | None = None
    ) -> Iterator[int]:
        """Yield generated token ids; the loop behind ``stream`` (exposed for tests and benchmarks)."""
        self._require_loaded()
        import torch

        cancel = cancel or CancelToken()
        priority = request.priority
        run = self._checkout(request.cache_key, prompt_ids)
        started = time.perf_counter()
        stats = run.stats
        stats.prompt_tokens = len(prompt_ids)
        stats.threads = self._apply_threads()
        lookup_ids = self._plain_ids(request.lookup_source) if request.lookup_source else None
        try:
            with torch.inference_mode():
                hidden = self._prefill(prompt_ids[len(run.fed):], run, priority, cancel)
                stats.prefill_ms = (time.perf_counter() - started) * 1000
                if request.max_new_tokens <= 0:  # warming only: the prompt is now in the cache
                    stats.stopped_by = "max_tokens"
                    return
                next_id = self._pick(hidden, request)
                while True:
                    if cancel.cancelled:
                        stats.stopped_by = "cancelled"
                        raise GenerationCancelled(cancel.reason or "generation cancelled")
                    if next_id in self._eos_ids:
                        stats.stopped_by = "eos"
                        return
                    run.generated.append(next_id)
                    stats.new_tokens += 1
                    yield next_id
                    if len(run.generated) >= request.max_new_tokens:
                        stats.stopped_by = "max_tokens"
                        return
                    draft: list[int] = []
                    if lookup_ids is not None and request.temperature == 0 and request.repetition_penalty == 1.0:
                        room = request.max_new_tokens - len(run.generated)
                        draft = find_draft(lookup_ids + run.generated, max_draft=min(8, room))
                    hidden = self._feed([next_id, *draft], run, priority, keep=len(draft) + 1)
                    if not draft:
                        next_id = self._pick(hidden, request, run.generated)
                        continue
                    stats.drafted_tokens += len(draft)
                    predicted = self._head().best(hidden)
                    accepted = 0
                    while accepted < len(draft) and predicted[accepted] == draft[accepted]:
                        accepted += 1
                    stats.accepted_draft_tokens += accepted
                    # Drop the rejected draft tokens from the cache: it must hold exactly run.fed.
                    rejected = len(draft) - accepted
                    if rejected:
                        run.cache.crop(-rejected)
                        del run.fed[len(run.fed) - rejected :]
                    for token in draft[:accepted]:
                        if token in self._eos_ids:
                            stats.stopped_by = "eos"
                            return
                        run.generated.append(token)
                        stats.new_tokens += 1
                        yield token
                        if len(run.generated) >= request.max_new_tokens:
                            stats.stopped_by = "max_tokens"
                            return
                    next_id = predicted[accepted]
        except GeneratorExit:
            stats.stopped_by = stats.stopped_by or "consumer"
            raise
        finally:
            stats.total_ms = (time.perf_counter() - started) * 1000
            # Warming (no new tokens) must not replace the figures of the last suggestion or answer.
            if request.max_new_tokens > 0:
                self.last_stats = stats
            else:
                self._last_warm_stats = stats
            self._checkin(request.cache_key, run)

    def warm(self, prompt: str, cache_key: str, priority: Priority = Priority.BACKGROUND,
             cancel: CancelToken | None = None) -> int:
        """Compute ``prompt`` into ``cache_key``'s KV cache without generating; returns tokens computed.

        Runs in chunks at ``priority``, so a real request overtakes it after at most one chunk; when
        cancelled, what was computed so far stays in the cache.
        """
        request = GenerationRequest(max_new_tokens=0, cache_key=cache_key, priority=priority)
        try:
            for _ in self.stream_ids(self.encode(prompt), request, cancel):
                pass
        except GenerationCancelled:
            pass
        stats = self._last_warm_stats
        return stats.prompt_tokens - stats.reused_tokens if stats else 0

    def _stream_text(self, prompt: str, request: GenerationRequest, cancel: CancelToken | None) -> Iterator[str]:
        prompt_ids = self.encode(prompt)
        generated: list[int] = []
        emitted = ""
        for token in self.stream_ids(prompt_ids, request, cancel):
            generated.append(token)
            text = self.tokenizer.decode(generated, skip_special_tokens=True)
            # An incomplete multi-byte character decodes as U+FFFD: wait for the next token.
            if text.endswith("\ufffd"):
                continue
            if len(text) > len(emitted) and text.startswith(emitted):
                piece, emitted = text[len(emitted):], text
                yield piece
            elif not text.startswith(emitted):
                emitted = text  # tokenizer normalisation changed earlier text; keep going from here

    def _apply_threads(self) -> int:
        """Threads for this generation: all cores when the machine is idle, fewer when it is busy."""
        if self.info.device != "cpu":
            return 0
        import torch

        wanted = self.threads.decide().threads
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)
        self.info.threads = wanted
        return wanted

    def _prefill(self, ids: list[int], run: _Run, priority: Priority, cancel: CancelToken) -> Any:
        """Feed the new prompt tokens; only the last position's scores are computed."""
        chunk = len(ids) if priority == Priority.COMPLETION else max(1, self._prefill_chunk)
        hidden = None
        for start in range(0, len(ids), chunk):
            if start and cancel.cancelled:
                run.stats.stopped_by = "cancelled"
                raise GenerationCancelled(cancel.reason or "generation cancelled")
            hidden = self._feed(ids[start:start + chunk], run, priority, keep=1)
        return hidden

    def _feed(self, ids: list[int], run: _Run, priority: Priority, keep: int) -> Any:
        with self.gate.hold(priority):
            hidden, run.cache = self._forward(self.model, ids, run.cache, keep)
        run.fed.extend(ids)
        return hidden

    def _forward_detached(self, model: Any, ids: list[int], cache: Any, keep: int) -> tuple[Any, Any]:
        """A forward pass outside the decoding loop (calibration): a fresh cache when none is given."""
        from transformers import DynamicCache

        return self._forward(model, ids, cache if cache is not None else DynamicCache(), keep)

    def _forward(self, model: Any, ids: list[int], cache: Any, keep: int) -> tuple[Any, Any]:
        """Run ``ids`` through ``model``; return the head's input for the last ``keep`` positions.

        The head's input is the final hidden state when we apply the head ourselves, else the model's
        scores (asked only for the kept positions: ``logits_to_keep``). Computing Gemma's head for every
        position of a 1,024-token prefill was more than half of its cost.
        """
        import torch

        tensor = torch.tensor([ids], dtype=torch.long, device=model.device)
        kwargs = {"input_ids": tensor, "use_cache": True, self._cache_kwarg: cache}
        if self._decoder_only:
            out = model.get_decoder()(**kwargs)
            hidden = out.last_hidden_state[0, -keep:]
        else:
            out = model(logits_to_keep=keep, **kwargs)
            hidden = out.logits[0, -keep:]
        new_cache = getattr(out, "past_key_values", None) or getattr(out, "cache", None) or cache
        return hidden, new_cache

    def _head(self) -> FullHead:
        assert self.head is not None
        return self.head

    def _pick(self, hidden: Any, request: GenerationRequest, generated: list[int] | None = None) -> int:
        import torch

        head = self._head()
        last = hidden[-1:]
        penalise = request.repetition_penalty > 1.0 and generated
        if request.temperature <= 0 and not penalise:
            return head.best(last)[0]
        logits = head.logits(last)[0]
        if penalise and generated:
            seen = torch.tensor(sorted(set(generated)), dtype=torch.long, device=logits.device)
            scores = logits[seen]
            logits = logits.clone()
            logits[seen] = torch.where(scores > 0, scores / request.repetition_penalty,
                                       scores * request.repetition_penalty)
        if request.temperature <= 0:
            return int(logits.argmax())
        probs = torch.softmax(logits / request.temperature, dim=-1)
        return int(torch.multinomial(probs, 1))

    # -- KV cache per document -----------------------------------------------------------------

    def _checkout(self, key: str | None, prompt_ids: list[int]) -> _Run:
        """Take the cached prefix for ``key`` out of the pool (so no other thread feeds it meanwhile)."""
        from transformers import DynamicCache

        entry = None
        if key is not None:
            with self._kv_lock:
                entry = self._kv.pop(key, None)
        if entry is None:
            return _Run(fed=[], cache=DynamicCache())
        common = 0
        for a, b in zip(entry.ids, prompt_ids, strict=False):
            if a != b:
                break
            common += 1
        # At least one prompt token must be fed to get logits for the next token.
        common = min(common, len(prompt_ids) - 1)
        if common <= 0:
            return _Run(fed=[], cache=DynamicCache())
        excess = entry.cache.get_seq_length() - common
        if excess > 0:
            entry.cache.crop(-excess)
        run = _Run(fed=list(prompt_ids[:common]), cache=entry.cache)
        run.stats.reused_tokens = common
        return run

    def _checkin(self, key: str | None, run: _Run) -> None:
        if key is None or not run.fed:
            return
        with self._kv_lock:
            self._kv[key] = _KVEntry(ids=run.fed, cache=run.cache)
            self._kv.move_to_end(key)
            while len(self._kv) > self._max_cached:
                self._kv.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._kv_lock:
            self._kv.pop(key, None)

    def _require_loaded(self) -> None:
        if self.model is None:
            raise ModelLoadError("the model is not loaded yet")


def _cache_argument(model: Any) -> str:
    params = inspect.signature(model.get_decoder().forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _head_is_plain(torch: Any, model: Any, cache_kwarg: str) -> bool:
    """Whether the model's scores are exactly its output embeddings applied to the decoder's last state
    (then the backend applies the head itself, only where needed, and may use a cheaper exact one).

    Checked numerically on a few tokens rather than trusted per architecture: some models scale or cap
    their logits in ways a head of our own would miss.
    """
    try:
        head = model.get_output_embeddings()
        decoder = model.get_decoder()
        if head is None or decoder is None:
            return False
        ids = torch.tensor([[1, 2, 3, 4, 5, 6]], dtype=torch.long, device=model.device)
        with torch.inference_mode():
            reference = model(input_ids=ids, use_cache=False).logits[0].float()
            hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state[0]
            ours = FullHead(head, getattr(model.config, "final_logit_softcapping", None)).logits(hidden)
        scale = float(reference.abs().max()) or 1.0
        return bool(torch.allclose(ours, reference, rtol=1e-3, atol=1e-3 * scale))
    except Exception as exc:  # an architecture without these accessors: its own forward is used
        log.info("model_head_not_plain", error=str(exc))
        return False


def _calibration_ids(tokenizer: Any, limit: int = 160) -> list[int]:
    """A snippet of real code to time and compare candidates on: this module's own source."""
    text = Path(__file__).read_text(encoding="utf-8")
    start = text.index("class TransformersLLM")
    ids: list[int] = tokenizer(text[start:start + 4000], add_special_tokens=False)["input_ids"][:limit]
    bos = tokenizer.bos_token_id
    return [bos, *ids] if bos is not None else ids


def _eos_ids(tokenizer: Any, model: Any) -> set[int]:
    ids: set[int] = set()
    for value in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list):
            ids.update(v for v in value if isinstance(v, int))
    for token in ("<end_of_turn>", "<|endoftext|>", "<|im_end|>", "<|file_separator|>"):
        token_id = tokenizer.get_vocab().get(token)
        if token_id is not None:
            ids.add(token_id)
    return ids


def _quantize_int8(torch: Any, model: Any) -> Any:
    """Dynamic int8 quantization of Linear layers, weights per output channel.

    Per-tensor weight scales (the default) visibly hurt Gemma's output (the tied 262k-row lm_head has
    rows of very different norms); per-channel keeps the text plausible at the same speed.
    """
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch marks quantized tensor creation as deprecated
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def _explain_load_failure(ref: str, exc: Exception) -> str:
    text = str(exc)
    if "local_files_only" in text or "offline" in text.lower() or "couldn't connect" in text.lower():
        return (
            f"model {ref!r} is not available offline. Use 'embedded', a local folder or .gguf file, "
            f"or download it first (e.g. `huggingface-cli download {ref}`) where you have network. ({text[:200]})"
        )
    return f"could not load model {ref!r}: {text[:400]}"
