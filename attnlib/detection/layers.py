"""Domain-generalisation pieces of Table 5 (Sect. 4.4): gradient reversal, style-adversarial head, IBN-b.

* Gradient reversal (Ganin & Lempitsky 2015): identity forward, gradient multiplied by −λ backward.
* Style-adversarial head (Nam et al. 2019, as used by Klomp et al.): the channel means and
  standard deviations of the second residual stage's output → gradient reversal → two small MLPs
  (FC → ReLU → FC) predicting time of day and weather, so the backbone learns to hide them.
* IBN-b (Pan et al. 2018): InstanceNorm (affine) instead of BatchNorm in the stem and after the
  residual addition of the last block of the first two stages, as in the IBN-Net reference code.
"""

from __future__ import annotations

import torch
from torch import nn

from attnlib.models.resnet import BasicBlock, Bottleneck, ResNet


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


def gradient_reversal(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Identity in the forward pass; multiplies the incoming gradient by ``-scale`` in the backward pass."""
    return _GradientReversal.apply(x, scale)


class GradientReversal(nn.Module):
    """Module form of :func:`gradient_reversal` with a settable ``scale`` (λ)."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gradient_reversal(x, self.scale)


def style_statistics(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-channel mean and standard deviation of an (N, C, H, W) map, concatenated to (N, 2C)."""
    mean = x.mean((2, 3))
    std = (x.var((2, 3), correction=0) + eps).sqrt()
    return torch.cat([mean, std], dim=1)


class StyleAdversarialHead(nn.Module):
    """Predicts domain labels (time of day, weather) from feature style through gradient reversal.

    Args:
        channels: channels of the feature map it reads (second residual stage output).
        domains: number of classes of each adversarial task, e.g. ``{"timeofday": 4, "weather": 7}``.
        hidden: width of each task's hidden layer.
        scale: gradient reversal strength λ.
    """

    def __init__(self, channels: int, domains: dict[str, int], hidden: int = 256, scale: float = 1.0) -> None:
        super().__init__()
        self.reverse = GradientReversal(scale)
        self.heads = nn.ModuleDict(
            {
                name: nn.Sequential(nn.Linear(2 * channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, classes))
                for name, classes in domains.items()
            }
        )

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        style = self.reverse(style_statistics(features))
        return {name: head(style) for name, head in self.heads.items()}

    def loss(self, features: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor:
        """Sum of the tasks' cross-entropies; its gradient pushes the backbone *away* from the domains.

        Labels equal to -100 (an ``undefined`` attribute) are ignored; a task with no defined label in
        the batch contributes 0 (with a graph, so every process of a DDP run has the same parameters
        in use).
        """
        logits = self(features)
        total = features.new_zeros(())
        for name, task_logits in logits.items():
            target = labels[name]
            if bool((target != -100).any()):
                total = total + nn.functional.cross_entropy(task_logits, target, ignore_index=-100)
            else:
                total = total + 0.0 * task_logits.sum()
        return total


class StyleAdversarialDetector(nn.Module):
    """A torchvision detector plus a :class:`StyleAdversarialHead` on one backbone stage's output.

    In training, ``forward(images, targets)`` returns the detector's losses plus
    ``"style_adversarial"``: the head's loss on the watched stage's features, with targets carrying
    integer domain labels under the head's task names (e.g. ``timeofday``, ``weather``). In
    evaluation it returns the detector's detections unchanged.

    Args:
        detector: torchvision ``SSD`` / ``FasterRCNN``.
        stage: the module whose output is the style source (ResNet ``layer2`` in the paper).
        channels: that output's channels.
        domains: classes per adversarial task.
        scale: gradient reversal λ; weight: multiplier of the adversarial loss.
    """

    def __init__(
        self,
        detector: nn.Module,
        stage: nn.Module,
        channels: int,
        domains: dict[str, int],
        scale: float = 1.0,
        weight: float = 1.0,
        hidden: int = 256,
    ) -> None:
        super().__init__()
        self.detector = detector
        self.head = StyleAdversarialHead(channels, domains, hidden, scale)
        self.weight = weight
        self._features: torch.Tensor | None = None
        stage.register_forward_hook(self._keep)

    def _keep(self, module: nn.Module, inputs: object, output: torch.Tensor) -> None:
        self._features = output

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None) -> object:
        out = self.detector(images, targets)
        if not self.training:
            return out
        device = self._features.device
        labels = {
            name: torch.as_tensor([int(t[name]) for t in targets], dtype=torch.int64, device=device)
            for name in self.head.heads
        }
        out["style_adversarial"] = self.weight * self.head.loss(self._features, labels)
        self._features = None
        return out


class _IBNBasicBlock(BasicBlock):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.attention(self.bn2(self.conv2(out)))
        return self.relu_out(self.instance_norm(out + identity))


class _IBNBottleneck(Bottleneck):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.attention(self.bn3(self.conv3(out)))
        return self.relu_out(self.instance_norm(out + identity))


def apply_ibn_b(model: ResNet) -> ResNet:
    """Turn an attnlib ResNet into IBN-b in place (attention modules, if any, are kept).

    The stem's BatchNorm becomes an affine InstanceNorm, and the last block of stages 1 and 2 gets an
    affine InstanceNorm after the residual addition, before the ReLU (IBN-Net's ``resnet_ibn_b``).
    """
    if not isinstance(model, ResNet):
        raise ValueError(f"apply_ibn_b needs an attnlib ResNet, got {type(model).__name__}")
    model.bn1 = nn.InstanceNorm2d(model.bn1.num_features, affine=True).to(model.bn1.weight.device)
    for stage in (model.layer1, model.layer2):
        block = stage[-1]
        channels = (block.bn3 if isinstance(block, Bottleneck) else block.bn2).num_features
        block.instance_norm = nn.InstanceNorm2d(channels, affine=True).to(block.conv1.weight.device)
        block.__class__ = _IBNBottleneck if isinstance(block, Bottleneck) else _IBNBasicBlock
    return model
