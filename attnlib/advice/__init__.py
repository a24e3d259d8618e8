"""``attnlib advise``: which attention module, if any, for this network on this machine.

The paper's question is practical: a module costs little arithmetic but real time, and whether it is
worth it depends on the hardware and the engine; its criterion (Fig. 4) is whether a module beats
simply using the next deeper ResNet. This package answers it for the user's own machine in minutes,
one module per step:

1. :mod:`~attnlib.advice.request` and :mod:`~attnlib.advice.options`: what is asked, checked
   (:func:`resolve`), and the next deeper ResNet.
2. :mod:`~attnlib.advice.measurement`: the baseline, the five modules and the next deeper baseline, timed
   interleaved on each engine (eager, and by default the fastest optimising engine available), in
   rounds, until every overhead's 95 % interval is narrower than ``width`` points or the time budget
   (which includes preparing the networks) is spent — the result says which.
3. :mod:`~attnlib.advice.accuracy`: each module's top-1 gain with its source — the paper's Table 2
   (ImageNet ResNet-18/50) or Table 1 (CIFAR ResNet-56; CIFAR-10 and CIFAR-100 apart), our committed
   paper-profile records on the same dataset overriding them, and the deeper baseline's top-1 from
   torchvision's published weights (labelled). The Fashion-MNIST study's gains are an extra column
   and never replace them.
4. :mod:`~attnlib.advice.decision` (no torch): per engine and module, the overhead with its interval,
   the gain per percent of time ("free" when the interval reaches zero), Pareto-optimal or not, beats
   the deeper baseline or not. Where intervals overlap it says the modules cannot be told apart
   instead of ranking noise.
5. :mod:`~attnlib.advice.words` and :mod:`~attnlib.advice.figure`: the verdict for a reader;
   :mod:`~attnlib.advice.answer`: the whole answer (:func:`advise`) and its record;
   :mod:`~attnlib.advice.committed`: the book's page, one verdict per committed record.

The names below are handed on from those modules on first use (PEP 562), so that importing the
decision does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attnlib.advice.accuracy import ACCURACY_COLUMNS, accuracy_sources
    from attnlib.advice.answer import Advice, advise, record
    from attnlib.advice.committed import CommittedVerdict, committed_verdicts, from_depth_record
    from attnlib.advice.decision import decide
    from attnlib.advice.figure import plot
    from attnlib.advice.measurement import Measurement, measure, variants
    from attnlib.advice.options import auto_engine, resolve
    from attnlib.advice.request import DEEPER, DEFAULT_BUDGET_MIN, DEFAULT_WIDTH, Request, deeper_model
    from attnlib.advice.words import READER_COLUMNS, reader_table, sentence

_HOME = {
    "ACCURACY_COLUMNS": "accuracy",
    "accuracy_sources": "accuracy",
    "Advice": "answer",
    "advise": "answer",
    "record": "answer",
    "CommittedVerdict": "committed",
    "committed_verdicts": "committed",
    "from_depth_record": "committed",
    "decide": "decision",
    "Measurement": "measurement",
    "measure": "measurement",
    "variants": "measurement",
    "auto_engine": "options",
    "resolve": "options",
    "plot": "figure",
    "DEEPER": "request",
    "DEFAULT_BUDGET_MIN": "request",
    "DEFAULT_WIDTH": "request",
    "Request": "request",
    "deeper_model": "request",
    "READER_COLUMNS": "words",
    "reader_table": "words",
    "sentence": "words",
}
__all__ = [
    "ACCURACY_COLUMNS",
    "DEEPER",
    "DEFAULT_BUDGET_MIN",
    "DEFAULT_WIDTH",
    "READER_COLUMNS",
    "Advice",
    "CommittedVerdict",
    "Measurement",
    "Request",
    "accuracy_sources",
    "advise",
    "auto_engine",
    "committed_verdicts",
    "decide",
    "deeper_model",
    "from_depth_record",
    "measure",
    "plot",
    "reader_table",
    "record",
    "resolve",
    "sentence",
    "variants",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"attnlib.advice.{_HOME[name]}"), name)
    raise AttributeError(f"module 'attnlib.advice' has no attribute {name!r}")
