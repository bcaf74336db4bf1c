"""Backend names, what ``auto`` resolves to, and the synthesizer each name builds.

The one place backend names live: the CLI's ``--llm`` choices, the settings' validation, the
evaluator and the engine all ask here. An LLM provider is added in ``llm/factory.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from bot.settings import LlmChoice  # defined in the bottom layer; re-exported here

if TYPE_CHECKING:
    from bot.answering.retrieval import HybridRetriever
    from bot.answering.synthesizer import Synthesizer
    from bot.settings import Settings
    from bot.tuning import Tuning
    from ingest.embedding.cache import CachingEncoder

Backend = Literal["openai", "local", "llamaindex", "extractive"]
EXTRACTIVE: Backend = "extractive"
OPENAI: Backend = "openai"
LOCAL: Backend = "local"
LLAMAINDEX: Backend = "llamaindex"
LLM_CHOICES: tuple[str, ...] = get_args(LlmChoice)


@dataclass(frozen=True)
class ResolvedBackend:
    """The backend that answers, and why it was chosen (``newsbot status`` shows both)."""

    name: Backend
    reason: str


def resolve_backend(settings: Settings) -> ResolvedBackend:
    """What ``NEWSBOT_LLM`` means right now: ``auto`` is llamaindex when a llama-index LLM
    class is named, else openai when a key or a base URL is set, else local when a model file
    is set, else extractive."""
    if settings.llm != "auto":
        return ResolvedBackend(settings.llm, f"NEWSBOT_LLM={settings.llm}")
    if settings.llamaindex_llm:
        # Naming a class says which model to use more plainly than an OPENAI_API_KEY does,
        # which may be set for the embeddings alone.
        return ResolvedBackend(LLAMAINDEX, "auto: NEWSBOT_LLAMAINDEX_LLM is set")
    if settings.openai_api_key:
        return ResolvedBackend(OPENAI, "auto: OPENAI_API_KEY is set")
    if settings.openai_base_url:
        return ResolvedBackend(OPENAI, "auto: OPENAI_BASE_URL is set")
    if settings.local_model:
        return ResolvedBackend(LOCAL, "auto: NEWSBOT_LOCAL_MODEL is set")
    return ResolvedBackend(EXTRACTIVE, "auto: no OPENAI_API_KEY, OPENAI_BASE_URL, "
                                       "NEWSBOT_LOCAL_MODEL or NEWSBOT_LLAMAINDEX_LLM")


def backend_label(backend: Backend, settings: Settings) -> str:
    """The ``Answer.backend`` label of ``backend``'s answers, without building anything."""
    if backend == EXTRACTIVE:
        return EXTRACTIVE
    from bot.answering.llm.factory import provider_label

    return provider_label(backend, settings)


def answer_concurrency(settings: Settings) -> int | None:
    """How many answers the configured backend writes at once (None: no limit, the
    extractive backend). Discord caps its answers in progress at this, so an asker beyond it
    is told the question is queued instead of watching an answer that does not move."""
    backend = resolve_backend(settings).name
    if backend == EXTRACTIVE:
        return None
    from bot.answering.llm.factory import provider_concurrency

    return provider_concurrency(backend, settings)


def make_synthesizer(backend: Backend, settings: Settings, retriever: HybridRetriever,
                     sentence_encoder: Callable[[], CachingEncoder],
                     tuning: Tuning) -> Synthesizer:
    """The synthesizer of ``backend``, built from the settings and the engine's components,
    answering by ``tuning``'s thresholds and rules."""
    from bot.answering.evidence.gatherer import EvidenceGatherer

    rules = EvidenceGatherer(retriever, sentence_encoder(), tuning)
    if backend == EXTRACTIVE:
        from bot.answering.quoting.synthesizer import ExtractiveSynthesizer

        return ExtractiveSynthesizer(rules)
    from bot.answering.llm.factory import make_chat_model
    from bot.answering.llm.synthesizer import LLMSynthesizer

    return LLMSynthesizer(make_chat_model(backend, settings), rules,
                          evidence=llm_evidence(backend, settings),
                          evidence_tokens=settings.llm_evidence_tokens)


def llm_evidence(backend: Backend, settings: Settings) -> str:
    """What the LLM reads: NEWSBOT_LLM_EVIDENCE, or for "auto" "sentences" with a local model
    or a self-hosted server (OPENAI_BASE_URL) and "passages" otherwise.

    Measured with Qwen2.5-Coder 1.5B on two CPU cores (docs/evaluation.md): reading passages
    it judged worse than the rules on the golden set (fact accuracy 0.818 against 0.864,
    refusal accuracy 0.930 against 0.947, answering "what was the outcome of Tuesday's call?"
    from articles written before it) and took three times as long, for one more right answer
    in 30 on RealTimeQA. A hosted model is not capped by the rules' reading."""
    if settings.llm_evidence != "auto":
        return settings.llm_evidence
    self_hosted = backend == LOCAL or (backend == OPENAI and bool(settings.openai_base_url))
    return "sentences" if self_hosted else "passages"
