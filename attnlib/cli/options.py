"""Parser pieces every subcommand shares: help that states each default, and the options of a run record
and of a training run (``train`` and ``detect``)."""

from __future__ import annotations

import argparse

from attnlib.checks import non_negative_int, positive_float, positive_int


class ShowDefaults(argparse.HelpFormatter):
    """Help that states every option's default (leaving out unset ones: None and False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            action.option_strings
            and action.default not in (None, False, argparse.SUPPRESS)
            and "%(default)" not in text
        ):
            text += " (default: %(default)s)"
        return text.strip()


def help_for_every_default(parser: argparse.ArgumentParser) -> None:
    """argparse prints no help line, so no default, for options without help: give them one."""
    for action in parser._actions:
        if not action.help and action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
            action.help = "(default: %(default)s)"
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                help_for_every_default(subparser)


FORMAT = {"formatter_class": ShowDefaults}


def add_record_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--no-" + what, action="store_true", help="do not write a run record")
    parser.add_argument(
        "--commit",
        action="store_true",
        help="write the run record to data/results/ (shown by the book once committed to git) instead of "
        "data/runs/ (ignored by git, never shown)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``train`` and ``detect``: schedule, device, data, checkpoints and records."""
    from attnlib.profiles import PROFILES

    parser.add_argument(
        "--profile",
        default="default",
        choices=PROFILES,
        help="paper: the paper's protocol; default/smoke: short schedules (on the dataset you name)",
    )
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--epochs", type=positive_int)
    parser.add_argument("--batch-size", type=positive_int, help="global batch size")
    parser.add_argument("--lr", type=positive_float)
    parser.add_argument("--lr-milestones", type=non_negative_int, nargs="+")
    parser.add_argument("--device", choices=("cpu", "cuda"))
    parser.add_argument("--amp", action="store_true")
    parser.add_argument("--workers", type=non_negative_int)
    parser.add_argument("--output", help="checkpoint folder (default data/checkpoints/<run name>)")
    parser.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    parser.add_argument(
        "--overwrite", action="store_true", help="start again from epoch 0 even if the run folder holds a checkpoint"
    )
    add_record_options(parser, "record")
