"""Frozen configurations of the model and of a training run, and the named presets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ModelConfig",
    "TrainConfig",
    "SCHEDULES",
    "resolve_schedule",
    "Preset",
    "PRESETS",
    "preset_names",
    "auto_preset",
    "resolve_preset",
    "Limit",
    "LIMITS",
    "check_limits",
]


@dataclass(frozen=True)
class Limit:
    """The finite range a numeric setting must lie in (`open`: the low end excluded)."""

    low: float
    high: float
    integer: bool = False
    open: bool = False

    def allows(self, value: Any) -> bool:
        """Whether `value` is a finite number in range (an integer where required)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.integer and not isinstance(value, int):
            return False
        above = value > self.low if self.open else value >= self.low
        return above and value <= self.high  # NaN and infinities fail one side

    def describe(self) -> str:
        """E.g. "an integer from 1 to 32,768" or "a number from 0 to 0.99"."""
        if self.integer:
            return f"an integer from {self.low:,} to {self.high:,}"
        if self.open:
            return f"a number above {self.low:g} and at most {self.high:,g}"
        return f"a number from {self.low:g} to {self.high:,g}"


# Finite ranges of the numeric settings (the CLI checks its options against them
# too): far beyond any useful value, yet small enough to keep a run meaningful.
LIMITS: dict[str, Limit] = {
    "rnn_size": Limit(1, 32_768, integer=True),
    "num_layers": Limit(1, 64, integer=True),
    "embedding_size": Limit(0, 32_768, integer=True),
    "dropout": Limit(0.0, 0.99),
    "init_range": Limit(0.0, 10.0),
    "seq_length": Limit(1, 100_000, integer=True),
    "batch_size": Limit(1, 1_000_000, integer=True),
    "learning_rate": Limit(0.0, 1000.0, open=True),
    "plateau_patience": Limit(1, 1_000_000, integer=True),
    "plateau_patience_tokens": Limit(0, 10**15, integer=True),
    "grad_clip": Limit(0.0, 1e6),
    "epochs": Limit(1, 1_000_000, integer=True),
    "max_time": Limit(0.0, 1e8),
    "eval_every": Limit(0, 10**9, integer=True),
    "checkpoint_every": Limit(0.0, 1e8),  # 0: at every step (tests)
    "seed": Limit(0, 2**32 - 1, integer=True),
    "threads": Limit(0, 4096, integer=True),
    "vocab_size": Limit(2, 10_000_000, integer=True),
    "dist_timeout": Limit(0.0, 1e6, open=True),
}


def check_limits(config: Any) -> None:
    """Raise ValueError naming each field of a config dataclass outside its LIMITS."""
    bad = [
        f"{f.name} must be {LIMITS[f.name].describe()} (not {getattr(config, f.name)})"
        for f in dataclasses.fields(config)
        if f.name in LIMITS and not LIMITS[f.name].allows(getattr(config, f.name))
    ]
    if bad:
        raise ValueError("; ".join(bad))


@dataclass(frozen=True)
class ModelConfig:
    """Shape of an LSTM language model (names as in char-rnn)."""

    vocab_size: int
    rnn_size: int = 256
    num_layers: int = 2
    embedding_size: int = 64  # 0 means "same as rnn_size"
    dropout: float = 0.0
    tie_weights: bool = False
    init_range: float = 0.0  # > 0: every weight uniform in ±init_range (Zaremba et al.)

    def __post_init__(self) -> None:
        check_limits(self)
        if self.vocab_size < 2:
            raise ValueError("vocab_size must be at least 2")
        if self.rnn_size < 1 or self.num_layers < 1:
            raise ValueError("rnn_size and num_layers must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        if self.init_range < 0:
            raise ValueError("init_range must be zero (PyTorch's defaults) or positive")
        if self.tie_weights and self.input_size != self.rnn_size:
            raise ValueError("tied weights need embedding_size equal to rnn_size")

    @property
    def input_size(self) -> int:
        """Width of the embedding fed to the first LSTM layer."""
        return self.embedding_size or self.rnn_size

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


SCHEDULES = ("auto", "plateau", "epoch", "time")


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained: optimisation, schedule, data layout and device."""

    seq_length: int = 64
    batch_size: int = 32
    learning_rate: float = 2e-3
    optimizer: str = "adam"  # "adam" or "sgd"
    grad_clip: float = 5.0
    epochs: int = 50
    # Seconds of training of the whole run (a resumed run counts what it had already
    # trained); 0 = no limit.
    max_time: float = 0.0
    # Learning-rate schedule: "auto" is "time" when max_time is set, else "plateau"
    # (see resolve_schedule); "plateau" halves (lr_decay) when validation has not
    # improved for plateau_patience evaluations and plateau_patience_tokens training
    # tokens; "epoch" multiplies by lr_decay every epoch after lr_decay_after (Zaremba
    # et al.); "time" is a cosine over max_time.
    schedule: str = "auto"
    lr_decay: float = 0.5
    plateau_patience: int = 3
    plateau_patience_tokens: int = 10_000_000  # 0 = count validations only
    lr_decay_after: int = 0
    min_learning_rate: float = 1e-5
    eval_every: int = 0  # steps between validations; 0 = twice per epoch
    eval_every_seconds: float = 0.0  # also validate by training time (benchmarks)
    max_eval_tokens: int = 300_000
    sample_length: int = 200
    sample_temperatures: tuple[float, ...] = (0.2, 0.5, 1.0, 1.2)
    checkpoint_every: float = 120.0  # seconds
    valid_fraction: float = 0.05
    seed: int = 1234
    device: str = "auto"
    threads: int = 0  # 0 = all cores
    autocast: str = "none"  # "none", "bf16" or "fp16" (CUDA only)

    def __post_init__(self) -> None:
        check_limits(self)
        checks = {
            "seq_length": self.seq_length >= 1,
            "batch_size": self.batch_size >= 1,
            "learning_rate": self.learning_rate > 0,
            "optimizer": self.optimizer in ("adam", "sgd"),
            "schedule": self.schedule in SCHEDULES,
            "plateau_patience": self.plateau_patience >= 1,
            "plateau_patience_tokens": self.plateau_patience_tokens >= 0,
            "grad_clip": self.grad_clip >= 0,
            "epochs": self.epochs >= 1,
            "max_time": self.max_time >= 0,
            "valid_fraction": 0.0 < self.valid_fraction < 0.5,
            "device": self.device in ("auto", "cpu", "cuda", "mps")
            or self.device.startswith("cuda:"),
            "autocast": self.autocast in ("none", "bf16", "fp16"),
            "threads": self.threads >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid training setting: {', '.join(bad)}")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["sample_temperatures"] = list(self.sample_temperatures)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in data.items() if k in names}
        if "sample_temperatures" in kept:
            kept["sample_temperatures"] = tuple(kept["sample_temperatures"])
        return cls(**kept)


def resolve_schedule(config: TrainConfig) -> TrainConfig:
    """`config` with an `auto` schedule made concrete: a cosine over the time limit
    when there is one, else plateau decay (whose patience counts tokens, so it cannot
    collapse within minutes on a small corpus). Other schedules are kept."""
    if config.schedule != "auto":
        return config
    return dataclasses.replace(config,
                               schedule="time" if config.max_time else "plateau")


@dataclass(frozen=True)
class Preset:
    """A named set of model and training settings; any value can be overridden."""

    name: str
    description: str
    level: str  # "char" or "word"
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)


def _zaremba(steps: int, learning_rate: float, grad_clip: float) -> dict[str, Any]:
    """Zaremba et al.'s SGD settings, restated for this trainer's loss.

    Their learning rate and clipping norm apply to the loss summed over the `steps`
    time steps (averaged over the batch); this trainer minimises the mean over all
    tokens, whose gradient is `steps` times smaller, so the same updates need the
    learning rate times `steps` and the clipping norm divided by `steps`.
    """
    return dict(optimizer="sgd", schedule="epoch", batch_size=20, seq_length=steps,
                learning_rate=learning_rate * steps, grad_clip=grad_clip / steps)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "char-tiny",
            "64 x 1 char model for tests and very small corpora",
            "char",
            dict(rnn_size=64, num_layers=1, embedding_size=32, dropout=0.0),
            dict(seq_length=32, batch_size=16, learning_rate=3e-3),
        ),
        Preset(
            "char-small",
            "128 x 2 char model: fast on any CPU",
            "char",
            dict(rnn_size=128, num_layers=2, embedding_size=64, dropout=0.0),
            dict(seq_length=64, batch_size=32, learning_rate=3e-3),
        ),
        Preset(
            "char-medium",
            "256 x 2 char model (char-rnn: corpora under 2 MB)",
            "char",
            dict(rnn_size=256, num_layers=2, embedding_size=64, dropout=0.25),
            dict(seq_length=64, batch_size=32, learning_rate=2e-3),
        ),
        Preset(
            "char-large",
            "512 x 2 char model (char-rnn: 5-8 MB corpora)",
            "char",
            dict(rnn_size=512, num_layers=2, embedding_size=64, dropout=0.25),
            dict(seq_length=128, batch_size=64, learning_rate=2e-3),
        ),
        Preset(
            "char-xl",
            "1024 x 2 char model (char-rnn: 10-20 MB corpora, GPU)",
            "char",
            dict(rnn_size=1024, num_layers=2, embedding_size=128, dropout=0.35),
            dict(seq_length=192, batch_size=128, learning_rate=1e-3),
        ),
        Preset(
            "char-xxl",
            "2048 x 3 char model (char-rnn: over 25 MB, GPU)",
            "char",
            dict(rnn_size=2048, num_layers=3, embedding_size=256, dropout=0.5),
            dict(seq_length=256, batch_size=128, learning_rate=1e-3),
        ),
        Preset(
            "ptb-small",
            "Zaremba et al. 2014 small: 200 x 2, 20 steps, no dropout, 13 epochs",
            "word",
            dict(rnn_size=200, num_layers=2, embedding_size=200, dropout=0.0,
                 init_range=0.1),
            dict(
                _zaremba(steps=20, learning_rate=1.0, grad_clip=5.0), lr_decay=0.5,
                lr_decay_after=4, epochs=13,
            ),
        ),
        Preset(
            "ptb-medium",
            "Zaremba et al. 2014 medium: 650 x 2, 35 steps, dropout 0.5, 39 epochs",
            "word",
            dict(rnn_size=650, num_layers=2, embedding_size=650, dropout=0.5,
                 init_range=0.05),
            dict(
                _zaremba(steps=35, learning_rate=1.0, grad_clip=5.0), lr_decay=0.8,
                lr_decay_after=6, epochs=39,
            ),
        ),
        Preset(
            "ptb-large",
            "Zaremba et al. 2014 large: 1500 x 2, 35 steps, dropout 0.65, 55 epochs",
            "word",
            dict(rnn_size=1500, num_layers=2, embedding_size=1500, dropout=0.65,
                 init_range=0.04),
            dict(
                _zaremba(steps=35, learning_rate=1.0, grad_clip=10.0),
                lr_decay=1 / 1.15, lr_decay_after=14, epochs=55,
            ),
        ),
    ]
}


def preset_names() -> list[str]:
    """All preset names, `auto` first."""
    return ["auto", *PRESETS]


def auto_preset(corpus_bytes: int, level: str, accelerated: bool) -> Preset:
    """Pick a preset by corpus size, following the char-rnn guidance.

    On a CPU-only machine the choice is capped so training shows progress within
    minutes; word level uses the PTB configurations.
    """
    mb = corpus_bytes / 1e6
    if level == "word":
        name = "ptb-small" if mb < 10 or not accelerated else "ptb-medium"
        return PRESETS[name]
    if mb < 0.05:
        name = "char-small"
    elif mb < 4:
        name = "char-medium"
    elif mb < 9:
        name = "char-large"
    elif mb < 22:
        name = "char-xl"
    else:
        name = "char-xxl"
    if not accelerated and name in ("char-large", "char-xl", "char-xxl"):
        name = "char-medium"
    return PRESETS[name]


def resolve_preset(
    name: str, corpus_bytes: int, level: str, accelerated: bool
) -> Preset:
    """The preset called `name` (`auto` chooses by corpus size)."""
    if name == "auto":
        return auto_preset(corpus_bytes, level, accelerated)
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown preset {name!r}; choose one of {', '.join(preset_names())}"
        ) from None
