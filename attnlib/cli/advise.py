"""``attnlib advise``: which attention module, if any, for a network on this machine."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from attnlib.checks import positive_float, positive_int
from attnlib.cli.options import FORMAT


def run(args: argparse.Namespace) -> int:
    """``attnlib advise``: measure, decide, print the table and the sentence (and JSON, a plot, a record)."""
    from attnlib.advice import advise, plot, record

    engine = "auto" if args.engine == ["auto"] else tuple(args.engine)
    answer = advise(
        args.model,
        block=args.block,
        resolution=args.resolution,
        batch_size=args.batch_size,
        device=args.device,
        engine=engine,
        precision=args.precision,
        budget_min=args.budget,
        width=args.width,
        progress=not args.json,
    )
    if args.plot:
        plot(answer).savefig(args.plot, dpi=110, bbox_inches="tight")
    if args.commit:
        print(f"attnlib advise: wrote {record(answer, commit=True)}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer.as_json(), indent=2, default=str))
        return 0
    print(answer.verdict.to_string(index=False))
    for engine_name, reason in answer.measurement.stopped.items():
        print(f"{engine_name}: stopped: {reason}")
    for engine_name, reason in answer.measurement.left_out.items():
        print(f"{engine_name}: left out: {reason}")
    print(answer.sentence)
    return 0


def add(commands: Any) -> None:
    from attnlib.names import ENGINES, PRECISIONS

    parser = commands.add_parser(
        "advise",
        help="which attention module, if any, for this network on this machine (measured in minutes)",
        **FORMAT,
    )
    parser.add_argument("--model", default="resnet50", help="resnet18/34/50/101/152 or cifar_resnet<depth>")
    parser.add_argument("--block", choices=("basic", "bottleneck"), help="CIFAR ResNets only (default basic)")
    parser.add_argument("--resolution", type=positive_int, help="(default: 224, CIFAR ResNets 32)")
    parser.add_argument("--batch-size", type=positive_int, default=1)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"), help="auto: CUDA when present")
    parser.add_argument(
        "--engine",
        nargs="+",
        default=["auto"],
        choices=("auto", *ENGINES),
        help="auto: eager plus the fastest optimising engine installed for the device",
    )
    parser.add_argument("--precision", default="fp32", choices=tuple(PRECISIONS))
    parser.add_argument("--budget", type=positive_float, default=2.0, help="minutes, preparing the networks included")
    parser.add_argument(
        "--width",
        type=positive_float,
        default=3.0,
        help="stop when every overhead's 95 %% interval is narrower (points)",
    )
    parser.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    parser.add_argument("--plot", help="save the gain-vs-time figure to this file (PNG, SVG, PDF)")
    parser.add_argument(
        "--commit", action="store_true", help="write the measurement as a record under data/results/ for the book"
    )
    parser.set_defaults(handler=run)
