"""``attnlib data``: fetch a dataset that can be had offline (Fashion-MNIST)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from attnlib.cli.options import FORMAT


def run(args: argparse.Namespace) -> int:
    from attnlib.train import fashion

    try:
        fashion.fetch(args.source, Path(args.destination) if args.destination else None)
    except (fashion.FashionMNISTNotFound, fashion.FashionMNISTDamaged):
        if not args.if_possible:
            raise
        print(
            "attnlib: warning: Fashion-MNIST could not be fetched; the book's real-image chapter will say so "
            f"(to fix: {fashion.HOW_TO_GET})",
            file=sys.stderr,
        )
    return 0


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "data",
        help="fetch and check a dataset that can be had offline (Fashion-MNIST: Debian's package or torchvision)",
        **FORMAT,
    )
    parser.add_argument("dataset", choices=("fashion-mnist",))
    parser.add_argument(
        "--from", dest="source", help="a dataset-fashion-mnist .deb or a folder with the four .gz files to copy"
    )
    parser.add_argument("--destination", help="where to put the files (default data/datasets/fashion-mnist)")
    parser.add_argument(
        "--if-possible", action="store_true", help="warn instead of failing when it cannot be fetched (make book)"
    )
    parser.set_defaults(handler=run)
