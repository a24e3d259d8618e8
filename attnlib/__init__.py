"""attnlib: channel attention modules for ResNets, reproducing Klomp et al. (2023).

Klomp, Wijnhoven, de With, "Performance-Efficiency Comparisons of Channel Attention Modules for
ResNets", Neural Processing Letters, 2023.
"""

from attnlib.models import build_model, load_pretrained, retrofit

__version__ = "0.1.0"
__all__ = ["__version__", "build_model", "load_pretrained", "retrofit"]
