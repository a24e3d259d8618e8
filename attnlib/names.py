"""Every name the command line offers as a choice, declared once, importing nothing heavy.

``attnlib --help`` and argument errors must answer at once, before torch, pandas or the engines are
imported. The modules that own these names (the attention registry, the engines, the datasets, the
campaigns…) take them from here, and ``tests/test_cli_startup.py`` checks each registry still
matches its list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BASELINE = "baseline"
MODULES = ("ab", "eca", "se", "srm", "multise")  # the paper's five, in the book's order
COMPARED = (BASELINE, *MODULES)

TRAIN_DATASETS = ("cifar10", "cifar100", "fashion-mnist", "imagenet", "synthetic-cifar", "synthetic-imagenet")
DETECTION_DATASETS = ("coco", "bdd100k", "synthetic-coco", "synthetic-bdd100k")
COCO_LAYOUTS = ("2017", "2014-minival")
AUGMENTATIONS = ("none", "flip", "ssd")
BDD_SPLITS = ("all", "day_night")

CONVENTIONS = ("paper", "exact")
ENGINES = ("eager", "compile", "onnxruntime", "openvino", "tensorrt")
ENGINE_TITLES = {
    "eager": "eager PyTorch",
    "compile": "torch.compile",
    "onnxruntime": "ONNX Runtime",
    "openvino": "OpenVINO",
    "tensorrt": "TensorRT",
}
"""Each engine's name for a reader (pages, figures, sentences)."""
ENGINE_QUANTIZERS = {"compile": "PT2E", "openvino": "NNCF"}
"""What quantizes a network to int8 on each int8 engine, for a reader."""
PRECISIONS = ("fp32", "fp16", "bf16", "int8")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs")
PRESETS = ("gpu", "gpu-compile", "cpu")

TABLES = ("table1", "table2", "table3", "table4", "table5", "fashion")
LAUNCHERS = ("local", "torchrun", "slurm")
CPU_PROCESSES = 2
"""Runs at a time of a CPU campaign on the 2-core CPU, one thread each: they share its cores."""
ASSUMED_TMACS = 10.0
"""Stated, not measured: sustained training throughput per GPU in tera-MACs/s (about a third of an
A100's dense fp16 tensor peak). Pass your own measured value with ``--tmacs``."""

# The book's notebooks, in book order (attnlib.notebooks runs them).
NOTEBOOKS: tuple[str, ...] = (
    "intro",  # the front page: what the book found, computed from the committed records
    "scorecard",  # first after the front page: what the book reproduced, cell by cell
    "fig1_modules",
    "fig2_complexity",
    "fig3_latency_depth",
    "fig5_resolution",
    "fig6_batch_size",
    "table1_cifar",
    "table2_imagenet",
    "fig4_tradeoff",
    "table3_finetune",
    "table4_coco",
    "table5_bdd100k",
    "beyond_attention_zoo",  # Beyond the paper
    "beyond_fashion_mnist",
    "beyond_advise",
    "execution_report",  # last: it reports how every page above was produced
)


def label_words(label: str) -> str:
    """An engine label (``attnlib.bench.engines.engine_label``) for a reader:
    ``compile[max-autotune]+graphs`` → "torch.compile (mode max-autotune, CUDA graphs)", ``openvino`` →
    "OpenVINO". An unknown name is returned as it is."""
    name = label.split("[", 1)[0].split("+", 1)[0]
    if name not in ENGINE_TITLES:
        return label
    details = []
    if "[" in label:
        details.append(f"mode {label.split('[', 1)[1].split(']', 1)[0]}")
    if "+graphs" in label:
        details.append("CUDA graphs")
    if "+NHWC" in label:
        details.append("channels-last")
    return f"{ENGINE_TITLES[name]} ({', '.join(details)})" if details else ENGINE_TITLES[name]


def setting_words(setting: str) -> str:
    """An engine label with its precision where that is not fp32 (``eager fp16``, as
    :func:`attnlib.reproduce.latency.setting_name` writes it) for a reader: "eager PyTorch fp16"."""
    label, _, precision = setting.partition(" ")
    return label_words(label) + (f" {precision}" if precision else "")


def network_words(model: str, block: str | None = None, cifar: bool = True) -> str:
    """A network's name for a reader: ``resnet101`` → "ResNet-101", ``cifar_resnet56`` → "CIFAR ResNet-56"
    (with ``cifar=False``, "ResNet-56": for a chapter whose networks are all CIFAR-shaped, as on
    Fashion-MNIST), and the block type in brackets when given: "ResNet-20 (bottleneck)"."""
    name = model.replace("cifar_resnet", "CIFAR ResNet-" if cifar else "ResNet-").replace("resnet", "ResNet-")
    return f"{name} ({block})" if block else name


def counted(number: int, noun: str) -> str:
    """A count with its noun in the right number: ``counted(1, "seed")`` → "1 seed", 3 → "3 seeds"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def agreeing(number: int, one: str, many: str) -> str:
    """A count with the verb (or phrase) that agrees with it: ``agreeing(1, "holds", "hold")`` → "1 holds",
    2 → "2 hold"."""
    return f"{number} {one if number == 1 else many}"


TRAIN_PRECISIONS = ("fp32", "bf16")
"""Training arithmetic: fp32 throughout, or bf16 autocast over fp32 weights."""


BF16_CONVOLUTIONS = ("native", "fp32")
"""How a bf16 step's convolutions are computed: ``native`` (the CPU's or GPU's own bf16 kernels) or
``fp32`` (fp32 kernels on the bf16 operands, the result rounded to bf16: :mod:`attnlib.arithmetic`)."""

TRAIN_EXTRAS = ("fp32_conv", "channels_last", "compile")
"""What a training setting may add to its precision, in the order its name lists them."""


@dataclass(frozen=True)
class TrainingSetting:
    """How a training step runs: its precision (``fp32``; ``bf16`` autocast over fp32 weights), how its
    bf16 convolutions are computed (``fp32_conv``: by fp32 kernels on the bf16 operands, for a CPU
    without bf16 instructions — :mod:`attnlib.arithmetic`), the memory layout (channels_last) and
    whether the network is trained through ``torch.compile``.

    The same choices as :class:`attnlib.train.TrainConfig`'s ``precision``, ``bf16_convolutions``,
    ``channels_last`` and ``compile``, so a measured setting is one a training can be given.
    """

    precision: str = "fp32"
    channels_last: bool = False
    compile: bool = False
    fp32_conv: bool = False

    def __post_init__(self) -> None:
        if self.fp32_conv and self.precision != "bf16":
            raise ValueError("fp32_conv computes bf16 convolutions by fp32 kernels: it needs precision bf16")
        if self.fp32_conv and self.compile:
            raise ValueError("fp32_conv replaces kernels in eager mode; it cannot be combined with compile")

    @property
    def name(self) -> str:
        """``bf16 + channels_last + compile``: the words :meth:`parse` reads."""
        extras = [extra for extra in TRAIN_EXTRAS if getattr(self, extra)]
        return " + ".join([self.precision, *extras])

    @classmethod
    def parse(cls, text: str) -> TrainingSetting:
        """``fp32``, ``bf16``, ``bf16+channels_last``, ``bf16+channels_last+compile``, ``bf16+fp32_conv`` …
        (spaces ignored)."""
        parts = [part.strip() for part in text.split("+")]
        precision, extras = parts[0], set(parts[1:])
        unknown = extras - set(TRAIN_EXTRAS)
        if precision not in TRAIN_PRECISIONS or unknown or len(extras) != len(parts) - 1:
            raise ValueError(
                f"unknown training setting {text!r}; a setting is a precision ({', '.join(TRAIN_PRECISIONS)}) "
                f"optionally followed by +{', +'.join(TRAIN_EXTRAS)}, e.g. bf16+channels_last+compile"
            )
        return cls(precision, "channels_last" in extras, "compile" in extras, "fp32_conv" in extras)

    @classmethod
    def of_config(cls, config: Mapping[str, Any]) -> TrainingSetting:
        """The setting a training config (a :class:`~attnlib.train.TrainConfig`'s ``as_dict()``, or a record's
        saved config) trains with; fields an older record lacks read as their defaults."""
        precision = str(config.get("precision") or "fp32")
        fp32_conv = precision == "bf16" and config.get("bf16_convolutions") == "fp32"
        compiled = bool(config.get("compile")) and not fp32_conv
        return cls(precision, bool(config.get("channels_last")), compiled, fp32_conv)

    def train_config(self) -> dict[str, object]:
        """This setting as :class:`~attnlib.train.TrainConfig` fields."""
        return {
            "precision": self.precision,
            "bf16_convolutions": "fp32" if self.fp32_conv else "native",
            "channels_last": self.channels_last,
            "compile": self.compile,
        }
