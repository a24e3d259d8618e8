"""What ``attnlib advise`` is asked: the network, input, device, engines and budget (:class:`Request`),
and the next deeper ResNet it is compared with. Plain data: no torch, so the decision can use it."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_BUDGET_MIN = 2.0
DEFAULT_WIDTH = 3.0  # points: stop when every overhead's 95 % interval is narrower than this
DEEPER_IMAGENET = {18: 34, 34: 50, 50: 101, 101: 152}
DEEPER = "deeper baseline"


@dataclass(frozen=True)
class Request:
    """What to advise on: a network, an input, a device, engines and a time budget (validated)."""

    model: str
    block: str | None = None
    resolution: int = 224
    batch_size: int = 1
    device: str = "cpu"
    engines: tuple[str, ...] = ("eager",)
    precision: str = "fp32"
    budget_min: float = DEFAULT_BUDGET_MIN
    width: float = DEFAULT_WIDTH

    @property
    def deeper(self) -> str | None:
        """The next deeper network of the same family (None for ResNet-152)."""
        return deeper_model(self.model, self.block)


def deeper_model(model: str, block: str | None = None) -> str | None:
    """The next deeper ResNet: ImageNet 18→34→50→101→152 (None after 152); a CIFAR ResNet gains one
    block per stage (+6 layers with basic blocks, +9 with bottleneck blocks)."""
    imagenet = re.fullmatch(r"resnet(\d+)", model)
    if imagenet:
        return f"resnet{DEEPER_IMAGENET[int(imagenet.group(1))]}" if int(imagenet.group(1)) in DEEPER_IMAGENET else None
    depth = int(re.fullmatch(r"cifar_resnet(\d+)", model).group(1))  # validated by resolve()
    return f"cifar_resnet{depth + (9 if block == 'bottleneck' else 6)}"
