"""``attnlib notebook`` and ``attnlib notebooks``: execute the book's chapters with papermill."""

from __future__ import annotations

import argparse
import ast
import sys
from typing import Any

from attnlib.cli.options import FORMAT


def _literal(text: str) -> Any:
    """Parse a ``-p key value`` value like papermill: Python literal if it parses, else string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _notebook(args: argparse.Namespace) -> int:
    from attnlib.notebooks import execute

    parameters = {key: _literal(value) for key, value in args.parameter}
    profile = parameters.pop("profile", args.profile)
    print(f"attnlib: executing {args.name} at profile {profile} …", file=sys.stderr, flush=True)
    output = execute(args.name, profile, args.output, parameters, progress=True)
    print(output)
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from attnlib.notebooks import NOTEBOOKS, execute_all

    names = args.names or list(NOTEBOOKS)

    def announce(index: int, name: str, outcome: str | None) -> None:
        if outcome is None:
            print(f"[{index + 1}/{len(names)}] {name} …", end=" ", flush=True)
        else:
            print(outcome, flush=True)

    report = execute_all(args.profile, args.output, names, on_progress=announce, force=args.force)
    failed = [name for name, outcome in report.items() if outcome.startswith("FAILED")]
    reused = [name for name, outcome in report.items() if outcome.startswith("reused")]
    print(
        f"{len(report) - len(failed) - len(reused)} of {len(report)} notebooks executed, {len(reused)} reused "
        "(inputs unchanged; --force executes them)" + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


def add(commands: Any) -> None:
    from attnlib.names import NOTEBOOKS
    from attnlib.profiles import PROFILES

    notebook = commands.add_parser("notebook", help="execute one notebook with papermill", **FORMAT)
    notebook.add_argument("name", choices=list(NOTEBOOKS))
    notebook.add_argument("--profile", default="default", choices=PROFILES)
    notebook.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter (a Python literal, else a string)",
    )
    notebook.add_argument("--output", help="folder for the executed notebook (default book/notebooks)")
    notebook.set_defaults(handler=_notebook)

    notebooks = commands.add_parser("notebooks", help="execute all notebooks, reporting each", **FORMAT)
    notebooks.add_argument("names", nargs="*", help="a subset (default: all)")
    notebooks.add_argument("--profile", default="default", choices=PROFILES)
    notebooks.add_argument("--output", help="folder for the executed notebooks (default book/notebooks)")
    notebooks.add_argument(
        "--force",
        action="store_true",
        help="execute every page, even one whose inputs (notebook, parameters, attnlib code, the committed "
        "records it reads, environment, datasets, machine) are those it was made from",
    )
    notebooks.set_defaults(handler=_notebooks)
