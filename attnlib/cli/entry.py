"""The ``attnlib`` command's entry: the parser made of every subcommand's own, and :func:`main`, which
parses, dispatches to the subcommand's body and turns library errors into one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from attnlib.cli import advise, bench, complexity, data, detect, notebooks, reproduce, train
from attnlib.cli.options import FORMAT, help_for_every_default

DESCRIPTION = "The ``attnlib`` command: complexity counts, latency runs, trainings and notebook runs from the shell."

# A core install (`pip install attnlib`) has torch and torchvision only; the commands need an extra.
OPTIONAL_MODULES = {
    "pandas": "train",
    "tqdm": "train",
    "timm": "bench",
    "onnx": "bench",
    "onnxscript": "bench",
    "onnxruntime": "bench",
    "openvino": "bench",
    "pycocotools": "train",
    "matplotlib": "book",
    "seaborn": "book",
    "papermill": "book",
    "jupytext": "book",
    "nbformat": "book",
    "submitit": "cluster",
}


COMMAND_EXTRAS = {
    "advise": "bench",
    "bench": "bench",
    "notebook": "book",
    "notebooks": "book",
    "train": "train",
    "detect": "train",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``attnlib`` command (one small function per subcommand)."""
    from attnlib import __version__

    parser = argparse.ArgumentParser(prog="attnlib", description=DESCRIPTION, **FORMAT)
    parser.add_argument("--version", action="version", version=f"attnlib {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (
        complexity.add,
        advise.add,
        bench.add,
        train.add,
        detect.add,
        reproduce.add,
        data.add,
        notebooks.add,
    ):
        add(commands)
    help_for_every_default(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``attnlib`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and argument errors end here, before anything heavy is imported
    from attnlib.errors import NotebookFailed

    check = getattr(args, "check", None)
    if check is not None:
        check(args)
    try:
        return args.handler(args)
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in OPTIONAL_MODULES:
            raise
        extra = COMMAND_EXTRAS.get(args.command, OPTIONAL_MODULES[missing])
        print(
            f"attnlib: error: `attnlib {args.command}` needs the optional dependencies of attnlib[{extra}] "
            f"(missing: {missing}); install them with: pip install 'attnlib[{extra}]'",
            file=sys.stderr,
        )
        return 2
    except (ValueError, OSError, NotebookFailed) as error:
        print(f"attnlib: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "attnlib: interrupted (a training keeps its completed epochs: continue with --resume; "
            "records and executed notebooks are only written when complete)",
            file=sys.stderr,
        )
        return 130
