"""What defines one training run: :class:`TrainConfig`, a frozen dataclass.

Milestones are 0-indexed epochs at whose start the learning rate is multiplied by ``lr_gamma``
(``torch.optim.lr_scheduler.MultiStepLR`` semantics). The paper's schedules per profile are not
here but in :mod:`attnlib.reproduce.training`: this package trains what it is given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from attnlib.arithmetic import require_bf16_convolutions
from attnlib.attention import BASELINE, attention_or_none, resolve
from attnlib.checks import require_non_negative, require_positive
from attnlib.names import TRAIN_PRECISIONS
from attnlib.profiles import require_profile


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run (one seed).

    ``attention`` is a module name or None; ``"baseline"`` is accepted and stored as None, so one
    run has one config (and one run folder) however it was named. ``profile`` labels the run (its
    name, its record); it does not change any other setting. ``batch_augmentation`` (CIFAR) crops
    and flips each batch on the training device instead of in the data loader's CPU workers.
    ``input_size``, ``train_subset`` and ``test_subset`` are Fashion-MNIST's (28² or 32²; a fixed
    class-balanced share of its training or test images — the book's small live runs).
    ``eval_every`` evaluates every that many epochs (and always after the last): evaluating 10 000
    test images costs a third of a small epoch on a CPU.

    ``precision`` is the arithmetic of the training steps: ``fp32``, or ``bf16`` — bfloat16 autocast
    with fp32 weights and optimiser (the CPU's counterpart of a GPU's mixed precision; fast only on a
    CPU with native bf16 instructions, AVX-512 BF16 or AMX). ``amp`` is CUDA's fp16 autocast with a
    gradient scaler. Evaluation always runs in fp32. ``compile`` trains through ``torch.compile`` of
    the network (the checkpoint holds the plain network's weights). ``bf16_convolutions`` is how a bf16
    step's convolutions are computed: ``native`` (the CPU's own bf16 kernels) or ``fp32`` (fp32 kernels
    on the same bf16 operands, rounded to bf16 — the same arithmetic at about fp32 speed on a CPU
    without bf16 instructions, where the native ones are 6–10× slower; :mod:`attnlib.arithmetic`).
    """

    dataset: str = "synthetic-cifar"
    model: str = "cifar_resnet20"
    block: str | None = "basic"
    attention: str | None = None
    seed: int = 0
    epochs: int = 3
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_milestones: tuple[int, ...] = (2,)
    lr_gamma: float = 0.1
    srm_no_weight_decay: bool = False
    amp: bool = False
    channels_last: bool = False
    batch_augmentation: bool = False
    device: str = "cpu"
    workers: int = 0
    data_root: str | None = None
    download: bool = False
    synthetic_size: tuple[int, int] = (2048, 512)
    synthetic_noise: float = 0.6
    input_size: int | None = None
    train_subset: int | None = None
    test_subset: int | None = None
    eval_every: int = 1
    precision: str = "fp32"
    compile: bool = False
    bf16_convolutions: str = "native"
    profile: str = "default"
    output: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "attention", attention_or_none(self.attention))
        if self.attention is not None:
            resolve(self.attention)  # an unknown name is refused here, listing the valid ones
        require_profile(self.profile)
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {self.device!r}; valid devices are cpu, cuda")
        for name in ("epochs", "batch_size", "lr", "lr_gamma"):
            require_positive(name, getattr(self, name))
        for name in ("momentum", "weight_decay", "workers"):
            require_non_negative(name, getattr(self, name))
        for milestone in self.lr_milestones:
            require_non_negative("lr_milestones", milestone)
        for size in self.synthetic_size:
            require_positive("synthetic_size", size)
        require_positive("eval_every", self.eval_every)
        if self.precision not in TRAIN_PRECISIONS:
            raise ValueError(
                f"unknown training precision {self.precision!r}; valid precisions are {', '.join(TRAIN_PRECISIONS)}"
            )
        require_bf16_convolutions(self.bf16_convolutions)
        if self.bf16_convolutions == "fp32" and (self.precision != "bf16" or self.compile):
            raise ValueError(
                "bf16_convolutions='fp32' computes a bf16 step's convolutions by fp32 kernels in eager mode: "
                f"it needs precision bf16 and no compile (got precision {self.precision!r}, compile {self.compile})"
            )
        if self.amp and self.precision != "fp32":
            raise ValueError("amp is CUDA's fp16 autocast; it cannot be combined with precision bf16 (choose one)")
        fashion_only = (self.input_size, self.train_subset, self.test_subset)
        if self.dataset != "fashion-mnist" and any(value is not None for value in fashion_only):
            raise ValueError(
                f"input_size, train_subset and test_subset are Fashion-MNIST settings; {self.dataset} has its own"
            )
        if self.input_size is not None and self.input_size not in (28, 32):
            raise ValueError(f"Fashion-MNIST input_size must be 28 or 32, got {self.input_size}")
        for name in ("train_subset", "test_subset"):
            if getattr(self, name) is not None:
                require_positive(name, getattr(self, name))
        if self.batch_augmentation and self.dataset not in ("cifar10", "cifar100"):
            raise ValueError(f"batch_augmentation is CIFAR's crop and flip; {self.dataset} augments in its loader")

    @property
    def run_name(self) -> str:
        """Stable name of the run's folder and record: dataset, model, block, module and seed."""
        block = f"-{self.block}" if self.model.startswith("cifar") and self.block else ""
        return f"{self.dataset}-{self.model}{block}-{self.attention or BASELINE}-seed{self.seed}-{self.profile}"

    def run_dir(self) -> Path:
        """Where checkpoints go (``data/checkpoints/<run_name>`` unless ``output`` is set)."""
        from attnlib.paper import data_root

        return Path(self.output) if self.output else data_root() / "checkpoints" / self.run_name

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
