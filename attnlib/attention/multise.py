"""Multi-Squeeze-and-Excitation (Multi-SE), Wang et al., CVPR 2019 ("domain attention").

B SE adapters (B = 3 in Klomp et al.) each map the squeezed vector z to a C-vector
s_b = W2_b ReLU(W1_b z + c1_b) + c2_b. A bias-free "domain assigner" A ∈ R^{B×C} gives softmax
weights a = softmax(A z) over the branches, and the gate is ``σ(Σ_b a_b s_b)``:
``out = x · σ(Σ_b a_b s_b)``. Parameters per module: 6C²/r + 3C/r + 6C for B = 3.

Implementation: the B first layers are fused into one C → B·C/r linear layer, and since
Σ_b a_b (W2_b h_b + c2_b) = [W2_1 … W2_B] · concat(a_b h_b) + aᵀ C2, the B second layers are one
bias-free B·C/r → C linear layer on the branch-weighted hidden units plus aᵀ C2. Two matmuls
instead of 2B, with the same parameters and the same function as B separate SE branches
(``tests/test_attention.py`` checks it against a per-branch reference).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from attnlib.attention._common import add_gate_affine, check_feature_map, factory_kwargs, recalibrate, sigmoid_gate
from attnlib.attention.se import reduced_channels


class MultiSqueezeExcitation(nn.Module):
    """Multi-SE: B softmax-weighted SE branches sharing one sigmoid gate.

    Args:
        channels: number of channels C.
        reduction: reduction ratio r of each branch (paper: 16).
        branches: number of SE branches B (paper: 3).
        identity_init: gate a·σ(·) + b with a = 0, b = 1, an exact identity at init (for retrofitting).
        device, dtype: ``torch.nn`` factory keywords for the parameters (timm passes them).
    """

    # The signature every module shares, on purpose (the registry, retrofit and timm rely on it):
    # channels first, options as keywords, torch.nn factory keywords last.
    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        branches: int = 3,
        *,
        identity_init: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if branches < 1:
            raise ValueError(f"branches must be >= 1, got {branches}")
        self.channels = channels
        self.reduction = reduction
        self.branches = branches
        self.hidden = reduced_channels(channels, reduction)
        factory = factory_kwargs(device, dtype)
        self.fc1 = nn.Linear(channels, branches * self.hidden, **factory)
        self.fc2 = nn.Linear(branches * self.hidden, channels, bias=False, **factory)
        self.fc2_bias = nn.Parameter(torch.empty(branches, channels, **factory))
        self.assigner = nn.Linear(channels, branches, bias=False, **factory)
        add_gate_affine(self, channels, identity_init, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise each branch like a separate ``nn.Linear(C/r, C)`` (fan-in C/r, not B·C/r)."""
        bound = 1.0 / math.sqrt(self.hidden)
        nn.init.uniform_(self.fc2.weight, -bound, bound)
        nn.init.uniform_(self.fc2_bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, type(self).__name__)
        batch = x.shape[0]
        z = x.mean((2, 3))
        branch_weights = torch.softmax(self.assigner(z), dim=1)
        hidden = F.relu(self.fc1(z), inplace=True).view(batch, self.branches, self.hidden)
        weighted = (hidden * branch_weights.unsqueeze(2)).view(batch, -1)
        logits = torch.addmm(branch_weights @ self.fc2_bias, weighted, self.fc2.weight.t())
        return recalibrate(x, sigmoid_gate(self, logits).view(batch, self.channels, 1, 1))

    def extra_repr(self) -> str:
        return f"channels={self.channels}, reduction={self.reduction}, branches={self.branches}"
