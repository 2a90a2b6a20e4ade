"""From what a user asks for (folder, preset, overrides) to a ready `TrainingJob`.

The CLI and the desktop app both go through `plan_training`, so a run started in
either behaves the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch

from .budget import BudgetFit, fit_to_budget
from .checkpoint import read_checkpoint_meta
from .config import ModelConfig, Preset, TrainConfig, resolve_preset, resolve_schedule
from .corpus import (
    DEFAULT_EXTENSIONS,
    CorpusError,
    encode_file,
    prepare_corpus,
    split_ids,
)
from .device import resolve_device
from .store import ModelStore
from .tokenizer import CharTokenizer, tokenizer_from_dict, western_charset
from .training import TrainingJob

__all__ = ["TrainRequest", "TrainingPreview", "plan_training", "preview_training",
           "preset_train_values", "describe_schedule", "RESUMABLE_OVERRIDES"]

FINETUNE_LR_SCALE = 0.5  # of the preset's learning rate, unless --lr is given
# ModelConfig's defaults, for the fields a preset leaves out (vocab_size has none).
_MODEL_DEFAULTS = {f.name: f.default for f in fields(ModelConfig)
                   if f.default is not MISSING}
# Settings a resumed run may change; the rest must stay as the run began.
RESUMABLE_OVERRIDES = ("epochs", "max_time", "device", "checkpoint_every", "threads",
                       "autocast")


@dataclass(frozen=True)
class TrainRequest:
    """A training run as asked for; `None` means "the preset's value"."""

    corpus: Path
    name: str | None = None
    level: str | None = None
    preset: str = "auto"
    model_overrides: dict[str, Any] = field(default_factory=dict)
    train_overrides: dict[str, Any] = field(default_factory=dict)
    valid: Path | None = None
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    lower: bool = False
    ascii_only: bool = False
    vocab_size: int = 10_000
    pretokenized: bool | None = None  # None: yes for the ptb-* presets
    init: str | None = None  # model (name or path) to fine-tune
    resume: bool = False
    charset: str = "corpus"  # char level: "corpus" or "western" (a broad fixed set)
    unwrap: str = "auto"  # join hard-wrapped lines: auto (where detected) | yes | no


@dataclass(frozen=True)
class TrainingPreview:
    """The settings a run will use, settled from the corpus size alone: the training
    panel shows them, and `plan_training` adds the vocabulary it reads."""

    preset: Preset  # `auto` resolved
    level: str  # "char" | "word"
    model: dict[str, Any]  # ModelConfig's fields but vocab_size
    train: TrainConfig  # its `auto` schedule resolved
    budget: BudgetFit | None = None  # how a limited run's regularisation was sized

    def model_config(self, vocab_size: int) -> ModelConfig:
        """The model's configuration once the vocabulary is known."""
        return ModelConfig(vocab_size=vocab_size, **self.model)


def preview_training(
    request: TrainRequest,
    corpus_bytes: int,
    device: torch.device | str,
    base: ModelConfig | None = None,
    base_level: str | None = None,
) -> TrainingPreview:
    """The preset, model shape and training settings a run of `request` will use on
    a corpus of `corpus_bytes` on `device` (concrete: `resolve_device` settles
    `auto`), fine-tuning a model of shape `base` and level `base_level` if given.

    Reads no files and touches no device: the one place where the preset, the
    device, the base model and the user's overrides combine. Raises ValueError
    with a message for the user.
    """
    level = _level(request, base_level)
    preset = resolve_preset(request.preset, corpus_bytes, level,
                            accelerated=torch.device(device).type != "cpu")
    if preset.level != level:
        raise ValueError(f"preset {preset.name} is for {preset.level}-level models, "
                         f"not {level}-level")
    given = _given(request.model_overrides)
    if base is not None:  # fine-tuning keeps the base model's shape and dropout
        model = base.to_dict()
        if "dropout" in given:
            model["dropout"] = given["dropout"]
    else:
        model = {**_MODEL_DEFAULTS, **preset.model, **given}
    model.pop("vocab_size", None)
    train_values = preset_train_values(preset, fine_tune=base is not None)
    given_train = _given(request.train_overrides)
    train = TrainConfig.from_dict({**train_values, **given_train})
    budget = None
    if base is None and level == "char":  # few passes in the limit: less dropout
        threads = train.threads or torch.get_num_threads()
        tokens = int(corpus_bytes * (1.0 - train.valid_fraction))
        model, train, budget = fit_to_budget(model, train, tokens, device, threads,
                                             set(given) | set(given_train))
    return TrainingPreview(preset=preset, level=level, model=model,
                           train=resolve_schedule(train),  # auto: by the time limit
                           budget=budget)


def plan_training(
    request: TrainRequest,
    store: ModelStore,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> TrainingJob:
    """Read the corpus and settle every setting; raises ValueError/CorpusError/
    ModelFileError with a message for the user."""
    if request.resume:
        return _plan_resume(request, store, on_progress, cancel)
    device = resolve_device(_given(request.train_overrides).get("device", "auto"))
    base = store.load(request.init) if request.init else None
    level = _level(request, base.level if base else None)
    pretokenized = request.pretokenized
    if pretokenized is None:
        pretokenized = request.preset.startswith("ptb-")
    tokenizer = base.tokenizer if base else None
    if tokenizer is None and level == "char" and request.charset == "western":
        tokenizer = CharTokenizer(western_charset(), request.lower, request.ascii_only)
    corpus = prepare_corpus(
        request.corpus, level, tokenizer, request.extensions,
        request.lower, request.ascii_only, request.vocab_size,
        split_punctuation=not pretokenized, on_progress=on_progress, cancel=cancel,
        unwrap=request.unwrap)
    base_config = base.model.config if base else None
    plan = preview_training(request, corpus.report.bytes, device, base_config,
                            base.level if base else None)
    vocab_size = base_config.vocab_size if base_config else corpus.tokenizer.vocab_size
    model_config = plan.model_config(vocab_size)
    train_config = plan.train
    train_ids, valid_ids = _split(corpus.ids, request.valid, corpus.tokenizer,
                                  train_config.valid_fraction, request.unwrap)
    name = request.name or store.unique_name(Path(request.corpus).expanduser().name)
    store.check_name(name)
    model_dir = store.root / name
    if model_dir.exists():
        raise ValueError(f"a model named {name!r} already exists; use --resume to "
                         "continue its training, or another --name")
    return TrainingJob(
        name=name, model_dir=model_dir, train_ids=train_ids, valid_ids=valid_ids,
        tokenizer=corpus.tokenizer, model_config=model_config,
        train_config=train_config,
        corpus=_corpus_record(request, corpus.report.to_dict(), plan.preset.name,
                              pretokenized),
        init_weights=base.model.state_dict() if base else None,
        init_from=base.name if base else None, budget=plan.budget,
    )


def preset_train_values(preset: Preset, fine_tune: bool) -> dict[str, Any]:
    """The preset's training settings; fine-tuning takes gentler steps than training
    from scratch (FINETUNE_LR_SCALE times the learning rate)."""
    values = dict(preset.train)
    if fine_tune:
        values["learning_rate"] = values["learning_rate"] * FINETUNE_LR_SCALE
    return values


def describe_schedule(config: TrainConfig) -> str:
    """How the learning rate will move, in a few words (printed by the CLI)."""
    config = resolve_schedule(config)
    lr = f"learning rate {config.learning_rate:g}"
    if config.schedule == "time" and config.max_time:
        return (f"{lr}, cosine down to {config.min_learning_rate:g} over the "
                f"{config.max_time / 60:.3g} min time limit")
    if config.schedule == "epoch":
        return (f"{lr}, x{config.lr_decay:g} per epoch after epoch "
                f"{config.lr_decay_after}")
    if config.schedule == "plateau":
        tokens = config.plateau_patience_tokens
        return (f"{lr}, x{config.lr_decay:g} after {config.plateau_patience} "
                f"validations" + (f" and {tokens / 1e6:g}M tokens" if tokens else "")
                + " without a new best")
    return f"{lr}, constant (schedule time without a time limit)"


def _level(request: TrainRequest, base_level: str | None) -> str:
    """As asked, else the base model's, else by the preset (word for ptb-*)."""
    level = request.level or base_level
    if level:
        return level
    return "word" if request.preset.startswith("ptb-") else "char"


def _given(overrides: dict[str, Any]) -> dict[str, Any]:
    """The overrides the user gave (`None`: the preset's value)."""
    return {k: v for k, v in overrides.items() if v is not None}


def _stored_train_config(stored: dict[str, Any]) -> TrainConfig:
    """A checkpoint's training settings; runs saved before `auto` and token patience
    existed keep their plateau schedule exactly (patience in validations only)."""
    values = {"schedule": "plateau", "plateau_patience_tokens": 0, **stored}
    return TrainConfig.from_dict(values)


def _split(ids, valid: Path | None, tokenizer, fraction: float, unwrap: str):
    if valid is None:
        return split_ids(ids, fraction)
    valid_ids = encode_file(Path(valid), tokenizer, unwrap=unwrap).ids
    if len(valid_ids) < 2:
        raise CorpusError(f"{valid}: validation text is too short")
    return ids, valid_ids


def _corpus_record(request: TrainRequest, report: dict[str, Any], preset: str,
                   pretokenized: bool) -> dict[str, Any]:
    """The corpus summary stored with the model, plus how it was read."""
    record = {k: v for k, v in report.items() if k != "skipped"}
    record["skipped"] = report["skipped"][:50]
    record.update(path=str(Path(request.corpus).expanduser().resolve()), preset=preset,
                  extensions=list(request.extensions), lower=request.lower,
                  ascii=request.ascii_only, pretokenized=pretokenized,
                  valid=str(request.valid) if request.valid else None,
                  unwrap=request.unwrap)
    return record


def _plan_resume(request, store, on_progress, cancel) -> TrainingJob:
    if not request.name:
        raise ValueError("--resume needs --name of the model whose run to continue")
    store.check_name(request.name)
    model_dir = store.root / request.name
    meta = read_checkpoint_meta(model_dir)
    tokenizer = tokenizer_from_dict(meta["tokenizer"])
    record = meta.get("corpus", {})
    unwrap = record.get("unwrap", "no")  # as the run began; older runs read lines as is
    corpus = prepare_corpus(
        request.corpus, tokenizer.level, tokenizer,
        record.get("extensions", request.extensions), on_progress=on_progress,
        cancel=cancel, unwrap=unwrap)
    changes = {k: v for k, v in request.train_overrides.items()
               if v is not None and k in RESUMABLE_OVERRIDES}
    train_config = replace(_stored_train_config(meta["train"]), **changes)
    valid = request.valid or (Path(record["valid"]) if record.get("valid") else None)
    train_ids, valid_ids = _split(corpus.ids, valid, tokenizer,
                                  train_config.valid_fraction, unwrap)
    return TrainingJob(
        name=request.name, model_dir=model_dir, train_ids=train_ids,
        valid_ids=valid_ids,
        tokenizer=tokenizer, model_config=ModelConfig.from_dict(meta["model"]),
        train_config=train_config, corpus=record, init_from=meta.get("init_from"),
        resume=True,
    )
