"""``attnlib complexity``: parameters and MACs of one model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from attnlib.checks import positive_int
from attnlib.cli.options import FORMAT


def run(args: argparse.Namespace) -> int:
    from attnlib.attention import attention_or_none
    from attnlib.complexity import count_model

    options = {"block": args.block} if args.block else {}
    result = count_model(
        args.model,
        attention_or_none(args.attention),
        input_size=(args.batch_size, 3, args.resolution, args.resolution),
        convention=args.convention,
        **options,
    )
    values = result.as_dict()
    values.update(model=args.model, attention=args.attention)
    if args.json:
        print(json.dumps(values))
    else:
        print(
            f"{args.model} + {args.attention} at {args.resolution}² ({args.convention} convention): "
            f"{result.params / 1e6:.2f} M parameters, {result.macs / 1e9:.4f} G MACs "
            f"(attention: {result.attention_params} parameters, {result.attention_macs} MACs)"
        )
    return 0


def add(commands: Any) -> None:
    from attnlib.names import BASELINE, COMPARED, CONVENTIONS

    parser = commands.add_parser("complexity", help="parameters and MACs of one model", **FORMAT)
    parser.add_argument("--model", default="resnet50", help="resnet18/34/50/101/152 or cifar_resnet<depth>")
    parser.add_argument("--attention", default=BASELINE, choices=COMPARED)
    parser.add_argument("--block", choices=("basic", "bottleneck"), help="CIFAR ResNets only")
    parser.add_argument("--convention", default="paper", choices=CONVENTIONS)
    parser.add_argument("--resolution", type=positive_int, default=224)
    parser.add_argument("--batch-size", type=positive_int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)
