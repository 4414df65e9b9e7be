"""The one place that wires suite, models, measurement, scoring, alerts and reports together."""

from __future__ import annotations

import contextlib
import fnmatch
import secrets
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from evalharness.alerts import evaluate
from evalharness.fidelity_run import ReferenceStore, fidelity_summary, measure_fidelity
from evalharness.measure import gpu
from evalharness.measure.clock import Timer
from evalharness.measure.environment import environment
from evalharness.measure.memory import PeakRSSSampler
from evalharness.measure.sample import measure_generation
from evalharness.models.backend import Backend, GenParams
from evalharness.models.chat import render_prompt
from evalharness.models.sources import SOURCES
from evalharness.quantization import SCHEMES
from evalharness.reports.assemble import summarize_variant
from evalharness.reports.reader import SamplesLogContent, read_samples_log
from evalharness.reports.schema import (
    SCHEMA_VERSION,
    LoadFigures,
    ModelRef,
    Report,
    RunStatus,
    Sample,
    Variant,
)
from evalharness.reports.writer import SamplesLog, atomic_write_json
from evalharness.scoring import score_samples
from evalharness.suite.loader import LoadedSuite
from evalharness.suite.schema import Axes, Case, ModelSpec, Suite


@dataclass(frozen=True)
class VariantPlan:
    id: str
    model: ModelSpec
    quantization: str
    device: str
    axes: Axes = field(default_factory=Axes)


BackendFactory = Callable[[VariantPlan], Backend]


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, steps: int = 1, note: str = "") -> None: ...
    def message(self, text: str) -> None: ...
    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, steps: int = 1, note: str = "") -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    output_dir: Path = Path("results")
    repeats: int | None = None
    variant_patterns: tuple[str, ...] = ()
    threads: int | None = None  # overrides the suite's `threads`


@dataclass
class RunOutcome:
    report: Report
    report_path: Path
    samples_path: Path
    interrupted: bool = False


def resolve_device(requested: str) -> str:
    if requested == "auto":
        return "cuda" if gpu.cuda_available() else "cpu"
    return requested


def plan_variants(suite: Suite, device: str, patterns: Sequence[str] = ()) -> list[VariantPlan]:
    """Every model x quantization (or the explicit matrix), filtered by glob patterns on ids."""
    by_label = {m.label: m for m in suite.models}
    if suite.matrix is not None:
        triples = [(by_label[e.model], e.quantization, e.axes(suite.axes)) for e in suite.matrix]
    else:
        triples = [(m, q, suite.axes) for m in suite.models for q in suite.quantizations]
    plans = []
    for m, q, a in triples:
        if m.source == "openai":  # an endpoint serves one variant: whatever it serves
            q, d = "served", "remote"
        else:
            d = device
        plan = VariantPlan(f"{m.label}/{q}/{d}{a.suffix()}", m, q, d, a)
        if plan not in plans:
            plans.append(plan)
    if patterns:
        plans = [p for p in plans if any(fnmatch.fnmatch(p.id, pat) for pat in patterns)]
    return reference_first(suite, plans)


def reference_quantization(suite: Suite, device: str) -> str:
    return suite.fidelity.reference or ("bf16" if device.startswith("cuda") else "fp32")


def reference_of(suite: Suite, plans: Sequence[VariantPlan], model_label: str) -> VariantPlan | None:
    """The variant other variants of the same model are compared with (default axes only)."""
    for p in plans:
        if (p.model.label == model_label and p.quantization == reference_quantization(suite, p.device)
                and p.axes == suite.axes):
            return p
    return None


def reference_first(suite: Suite, plans: list[VariantPlan]) -> list[VariantPlan]:
    """Put each model's reference variant before its other variants (fidelity needs it first)."""
    if not suite.fidelity.enabled:
        return plans
    refs = {p.model.label: p for p in plans if reference_of(suite, plans, p.model.label) == p}
    ordered: list[VariantPlan] = []
    for p in plans:
        ref = refs.get(p.model.label)
        if ref is not None and ref not in ordered:
            ordered.append(ref)
        if p not in ordered:
            ordered.append(p)
    return ordered


class TransformersFactory:
    """Loads variants with transformers. `prepare` imports the libraries before any load is
    timed, so the first variant's load time does not include Python imports."""

    def prepare(self, plans: Sequence[VariantPlan]) -> None:
        import torch  # noqa: F401
        import transformers  # noqa: F401
        from transformers import AutoModelForCausalLM  # noqa: F401
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress bar is the one to watch
        hf_logging.set_verbosity_error()

        for source, model_id in sorted({(p.model.source, p.model.id) for p in plans}):
            try:
                SOURCES.get(source).prepare(model_id)
            except Exception:  # the variant's own load reports the failure
                pass

    def __call__(self, plan: VariantPlan) -> Backend:
        from evalharness.models.backend import load_backend

        if plan.model.endpoint is not None:
            from evalharness.models.openai_backend import OpenAIBackend

            return OpenAIBackend(plan.model.id, plan.model.endpoint)  # type: ignore[return-value]

        return load_backend(plan.model.source, plan.model.id, plan.model.revision,
                            plan.quantization, plan.device, plan.axes)


default_backend_factory = TransformersFactory()


def gen_params(suite: Suite, case: Case) -> GenParams:
    merged = suite.generation.model_dump()
    if case.generation is not None:
        merged.update({k: v for k, v in case.generation.model_dump().items() if v is not None})
    return GenParams(**merged)


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: a partial report is still written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Run one variant with its own torch thread count, then restore the previous one."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _is_oom(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError):
        return True
    try:
        import torch

        return isinstance(exc, torch.OutOfMemoryError)
    except (ImportError, AttributeError):
        return False


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500]


@dataclass
class _RunState:
    loaded: LoadedSuite
    run_id: str
    started_at: str
    plans: list[VariantPlan]
    repeats: int
    report_path: Path
    log: SamplesLog
    env: dict[str, Any]
    content: SamplesLogContent = field(default_factory=SamplesLogContent)
    references: ReferenceStore | None = None


class Runner:
    def __init__(
        self,
        loaded: LoadedSuite,
        options: RunOptions = RunOptions(),
        factory: BackendFactory = default_backend_factory,
        progress: Progress | None = None,
    ) -> None:
        self.loaded = loaded
        self.suite = loaded.suite
        self.options = options
        self.factory = factory
        self.progress = progress or NullProgress()

    # -- public -------------------------------------------------------------------------------
    def run(self, run_id: str | None = None) -> RunOutcome:
        return self._execute(self._new_state(run_id or new_run_id()))

    def resume(self, samples_path: Path) -> RunOutcome:
        content = read_samples_log(samples_path)
        if content.header is None:
            raise ValueError(f"{samples_path}: no run header; cannot resume")
        header = content.header
        plans = [VariantPlan(p["id"], ModelSpec.model_validate(p["model"]), p["quantization"],
                             p["device"], Axes.model_validate(p.get("axes") or {}))
                 for p in header["plan"]]
        state = _RunState(
            loaded=self.loaded, run_id=header["run_id"], started_at=header["started_at"],
            plans=plans, repeats=header["config"]["repeats"],
            report_path=samples_path.with_name(f"{header['run_id']}.json"),
            log=SamplesLog(samples_path), env=environment(), content=content,
        )
        self.progress.message(
            f"resuming {state.run_id}: {len(content.samples)} samples already measured are kept"
        )
        return self._execute(state)

    # -- internals ----------------------------------------------------------------------------
    def _new_state(self, run_id: str) -> _RunState:
        device = resolve_device(self.suite.device)
        plans = plan_variants(self.suite, device, self.options.variant_patterns)
        repeats = self.options.repeats or self.suite.repeats
        out_dir = self.options.output_dir / self.suite.name
        samples_path = out_dir / f"{run_id}.samples.jsonl"
        state = _RunState(
            loaded=self.loaded, run_id=run_id, started_at=now_iso(), plans=plans, repeats=repeats,
            report_path=out_dir / f"{run_id}.json", log=SamplesLog(samples_path), env=environment(),
        )
        header = {
            "schema_version": SCHEMA_VERSION, "run_id": run_id, "started_at": state.started_at,
            "suite": self._suite_ref(), "environment": state.env, "config": self._config(repeats),
            "plan": [{"id": p.id, "model": p.model.model_dump(), "quantization": p.quantization,
                      "device": p.device, "axes": p.axes.model_dump()} for p in plans],
        }
        state.log.write("header", header)
        state.content.header = header
        return state

    def _suite_ref(self) -> dict[str, str]:
        return {"name": self.suite.name, "path": str(self.loaded.path), "sha256": self.loaded.sha256}

    def _threads(self) -> int | None:
        return self.options.threads or self.suite.threads

    def _config(self, repeats: int) -> dict[str, Any]:
        return {"warmup": self.suite.warmup, "repeats": repeats, "threads": self._threads(),
                "generation": self.suite.generation.model_dump(),
                "scorers": list(self.suite.scorers), "cases": len(self.loaded.cases)}

    def _execute(self, state: _RunState) -> RunOutcome:
        cases = self.loaded.cases
        todo_total = sum(len(self._todo(state, p)) for p in state.plans)
        warm_total = sum(self.suite.warmup for p in state.plans if self._todo(state, p))
        threads = self._threads()
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        prepare = getattr(self.factory, "prepare", None)
        if prepare is not None:
            prepare([p for p in state.plans if self._todo(state, p)])
        self.progress.start(todo_total + warm_total)
        self._write_report(state, "running", scored=False)
        interrupted = False
        try:
            with sigterm_as_interrupt():
                for plan in state.plans:
                    self._run_variant(state, plan, cases)
                    self._write_report(state, "running", scored=False)
        except KeyboardInterrupt:
            interrupted = True
            self.progress.message("interrupted: writing a partial report with every finished sample")
        finally:
            self.progress.stop()
            state.log.close()
        status: RunStatus
        if interrupted:
            status = "partial"
        elif state.content.samples and any(s.success for s in state.content.samples.values()):
            status = "complete"
        else:
            skipped_only = all(v.status == "skipped" for v in state.content.variants.values())
            status = "complete" if skipped_only and state.content.variants else "failed"
        report = self._write_report(state, status, scored=True)
        return RunOutcome(report, state.report_path, state.log.path, interrupted)

    def _todo(self, state: _RunState, plan: VariantPlan) -> list[tuple[Case, int]]:
        prior = state.content.variants.get(plan.id)
        if prior is not None and prior.status in ("skipped", "failed"):
            return []
        done = state.content.samples
        return [(c, r) for c in self.loaded.cases for r in range(state.repeats)
                if (plan.id, c.id, r) not in done]

    def _record_variant(self, state: _RunState, variant: Variant) -> None:
        state.content.variants[variant.id] = variant
        state.log.write("variant", variant)

    def _variant(self, plan: VariantPlan, status: str, error: str | None = None,
                 load: LoadFigures | None = None) -> Variant:
        return Variant(
            id=plan.id, model=ModelRef(source=plan.model.source, id=plan.model.id, label=plan.model.label),
            quantization=plan.quantization, device=plan.device,
            axes={k: v for k, v in plan.axes.model_dump().items() if v != Axes.model_fields[k].default},
            backend=SCHEMES.get(plan.quantization).backend,
            synthetic=SOURCES.get(plan.model.source).synthetic,
            status=status, error=error, load=load or LoadFigures(),  # type: ignore[arg-type]
        )

    def _run_variant(self, state: _RunState, plan: VariantPlan, cases: Sequence[Case]) -> None:
        todo = self._todo(state, plan)
        if not todo:
            return
        steps = len(todo) + self.suite.warmup
        reason = SCHEMES.get(plan.quantization).unsupported_reason(plan.device)
        if reason:
            self._record_variant(state, self._variant(plan, "skipped", f"not supported here: {reason}"))
            self.progress.message(f"{plan.id}: skipped ({reason})")
            self.progress.advance(steps)
            return
        self.progress.message(f"{plan.id}: loading")
        with _threads(plan.axes.threads):
            self._load_and_measure(state, plan, cases, todo, steps)

    def _load_and_measure(self, state: _RunState, plan: VariantPlan, cases: Sequence[Case],
                          todo: list[tuple[Case, int]], steps: int) -> None:
        gpu.reset_peak(plan.device)
        try:
            with Timer() as timer, PeakRSSSampler(interval_s=0.05) as rss:
                backend = self.factory(plan)
                footprint = backend.footprint_mb()
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a variant that cannot load is data, not a crash
            self._record_variant(state, self._variant(plan, "failed", f"load failed: {_error_text(exc)}"))
            self.progress.message(f"{plan.id}: load failed: {_error_text(exc)}")
            self.progress.advance(steps)
            return
        if getattr(backend, "remote", False):
            load = LoadFigures()  # nothing is loaded here: the server's figures are not ours to report
        else:
            load = LoadFigures(seconds=timer.seconds, peak_rss_mb=rss.peak_mb, footprint_mb=footprint,
                               gpu_peak_mb=gpu.torch_peak_allocated_mb(plan.device))
        self._record_variant(state, self._variant(plan, "ok", load=load))
        try:
            self._warm_up(backend, cases, plan, state)
            self._measure_all(backend, todo, plan, state)
            self._fidelity(backend, plan, state)
        finally:
            backend.close()

    def _fidelity(self, backend: Backend, plan: VariantPlan, state: _RunState) -> None:
        """Outside every timed block: teacher-forced comparison with the reference variant."""
        if not self.suite.fidelity.enabled or state.content.variants[plan.id].status != "ok":
            return
        if state.references is None:
            state.references = ReferenceStore()
        ref = reference_of(self.suite, state.plans, plan.model.label)
        if ref is None:
            return
        updated = measure_fidelity(backend, plan.id, ref.id, self.loaded.cases, self.suite,
                                   state.content.samples, state.references,
                                   supported=SCHEMES.get(plan.quantization).supports_fidelity)
        for sample in updated:
            state.content.samples[sample.key] = sample
            state.log.write("sample", sample)

    def _warm_up(self, backend: Backend, cases: Sequence[Case], plan: VariantPlan, state: _RunState) -> None:
        for i in range(self.suite.warmup):
            case = cases[i % len(cases)]
            try:
                backend.generate(backend.encode(case), gen_params(self.suite, case))
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                self.progress.message(f"{plan.id}: warm-up failed: {_error_text(exc)}")
            self.progress.advance(1, note=f"{plan.id} warm-up")

    def _measure_all(self, backend: Backend, todo: list[tuple[Case, int]], plan: VariantPlan,
                     state: _RunState) -> None:
        for case, repeat in todo:
            sample, fatal = self._measure_one(backend, case, repeat, plan)
            state.content.samples[sample.key] = sample
            state.log.write("sample", sample)
            self.progress.advance(1, note=f"{plan.id} {case.id}")
            if fatal:
                self._record_variant(state, state.content.variants[plan.id].model_copy(
                    update={"status": "failed", "error": sample.error}))
                self.progress.message(f"{plan.id}: stopped: {sample.error}")
                return

    def _measure_one(self, backend: Backend, case: Case, repeat: int, plan: VariantPlan) -> tuple[Sample, bool]:
        prompt = render_prompt(case.messages, case.prompt)
        base: dict[str, Any] = {
            "variant_id": plan.id, "case_id": case.id, "repeat": repeat, "tags": list(case.tags),
            "prompt": prompt,
        }
        if hasattr(backend, "measure_case"):
            fields = backend.measure_case(case, gen_params(self.suite, case))
            return Sample(**base, **fields), False
        try:
            ids = backend.encode(case)
            params = gen_params(self.suite, case)
            measured = measure_generation(lambda: backend.generate(ids, params), backend.eos_ids,
                                          plan.device)
            output = backend.decode(measured.output_ids)
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            fatal = _is_oom(exc)
            err = ("out of memory: " if fatal else "generation failed: ") + _error_text(exc)
            return Sample(**base, output=None, output_tokens=None, latency_s=None, ttft_s=None,
                          prefill_tokens_per_s=None, decode_tokens_per_s=None, peak_rss_mb=None,
                          gpu_peak_mb=None, success=False, error=err), fatal
        t = measured.timing
        return Sample(
            **base, output=output, prompt_tokens=len(ids), output_tokens=t.output_tokens,
            output_ids=measured.output_ids, batch_size=getattr(backend, "batch_size", 1),
            token_count_source="tokenizer",
            latency_s=t.latency_s, ttft_s=t.ttft_s, prefill_tokens_per_s=t.prefill_tokens_per_s,
            decode_tokens_per_s=t.decode_tokens_per_s, inter_token_latency_s=t.inter_token_latency_s,
            peak_rss_mb=measured.peak_rss_mb, gpu_peak_mb=measured.gpu_peak_mb,
            gpu_device_used_mb=measured.gpu_device_used_mb, success=True, error=None,
        ), False

    def _write_report(self, state: _RunState, status: RunStatus, scored: bool) -> Report:
        order = {p.id: i for i, p in enumerate(state.plans)}
        case_order = {c.id: i for i, c in enumerate(self.loaded.cases)}
        samples = sorted(state.content.samples.values(),
                         key=lambda s: (order.get(s.variant_id, 1 << 30), case_order.get(s.case_id, 0), s.repeat))
        if scored:
            samples = score_samples(samples, {c.id: c for c in self.loaded.cases}, self.suite.scorers,
                                    self.suite.tag_scorers)
        variants: list[Variant] = []
        for plan in state.plans:
            v = state.content.variants.get(plan.id)
            if v is None:
                if status == "running":
                    continue
                v = self._variant(plan, "skipped", "not run: the run was interrupted first"
                                  if status == "partial" else "not run")
            variants.append(summarize_variant(v, samples))
        if scored and self.suite.fidelity.enabled:
            by_id = {v.id: v for v in variants}
            for i, v in enumerate(variants):
                plan = next((p for p in state.plans if p.id == v.id), None)
                ref = reference_of(self.suite, state.plans, plan.model.label) if plan else None
                if ref is not None and ref.id != v.id and ref.id in by_id and v.status == "ok":
                    variants[i] = v.model_copy(update={
                        "fidelity": fidelity_summary(v, by_id[ref.id], samples)})
        alerts = evaluate(self.suite.all_alert_rules(), [v.model_dump() for v in variants],
                          [s.model_dump() for s in samples]) if scored else []
        header = state.content.header or {}
        report = Report(
            schema_version=SCHEMA_VERSION, run_id=state.run_id,
            suite=header.get("suite") or self._suite_ref(),  # type: ignore[arg-type]
            started_at=state.started_at, finished_at=None if status == "running" else now_iso(),
            status=status, environment=state.env,  # type: ignore[arg-type]
            config=header.get("config") or self._config(state.repeats),  # type: ignore[arg-type]
            variants=variants, samples=samples, alerts=alerts,
        )
        atomic_write_json(state.report_path, report)
        return report
