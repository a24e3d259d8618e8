"""``attnlib train``: one checkpointed classification training run (resumable), with its record."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from attnlib.checks import positive_int
from attnlib.cli.options import FORMAT, add_run_options
from attnlib.cli.runs import RUN_OVERRIDES, announce_run, given_options


def run(args: argparse.Namespace) -> int:
    import logging

    from attnlib.checks import require_device
    from attnlib.reproduce.training import profile_config
    from attnlib.train import train, write_training_record
    from attnlib.train.distributed import distributed_context

    logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
    overrides = given_options(
        args,
        (
            *RUN_OVERRIDES,
            *("block", "download", "amp", "channels_last", "input_size", "train_subset", "eval_every"),
            *("precision", "compile", "bf16_convolutions"),
        ),
    )
    overrides.pop("seed", None)
    config = profile_config(args.profile, args.dataset, args.model, args.attention, args.seed, **overrides)
    require_device(config.device)
    if distributed_context(config.device).is_main:
        announce_run(config)
    result = train(config, resume=args.resume, overwrite=args.overwrite, accumulation_steps=args.accumulation_steps)
    if distributed_context(config.device).is_main:
        final = result.final
        print(
            f"{config.run_name}: top-1 {final['top1']:.2f} %, top-5 {final['top5']:.2f} % after "
            f"{final['epoch'] + 1} epochs (checkpoint {result.checkpoint})"
        )
        if not args.no_record:
            path = write_training_record(config, result.history, committed=args.commit, **result.dataset)
            print(f"wrote {path}", file=sys.stderr)
    return 0


def add(commands: Any) -> None:
    from attnlib.names import BASELINE, BF16_CONVOLUTIONS, COMPARED, TRAIN_PRECISIONS
    from attnlib.names import TRAIN_DATASETS as DATASETS

    parser = commands.add_parser("train", help="train one model (one seed); torchrun for several processes", **FORMAT)
    parser.add_argument(
        "--dataset",
        required=True,
        choices=DATASETS,
        help="a real dataset (read from disk, or refused with where to get it) or synthetic-* (generated)",
    )
    parser.add_argument("--model", default="cifar_resnet56")
    parser.add_argument("--block", choices=("basic", "bottleneck"))
    parser.add_argument("--attention", default=BASELINE, choices=COMPARED)
    add_run_options(parser)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument(
        "--precision",
        choices=TRAIN_PRECISIONS,
        help="training arithmetic: fp32 (default) or bf16 autocast over fp32 weights (fast on CPUs with AVX-512 "
        "BF16 or AMX; evaluation stays fp32)",
    )
    parser.add_argument("--compile", action="store_true", help="train through torch.compile of the network")
    parser.add_argument(
        "--bf16-convolutions",
        choices=BF16_CONVOLUTIONS,
        help="with --precision bf16: native (the CPU's own bf16 kernels, default) or fp32 (fp32 kernels on the same "
        "bf16 operands: the same arithmetic at about fp32 speed on a CPU without AVX-512 BF16 or AMX)",
    )
    parser.add_argument(
        "--data-root",
        help="dataset folder (CIFAR: data/datasets; ImageNet: $ATTNLIB_IMAGENET; Fashion-MNIST: "
        "$ATTNLIB_FASHION_MNIST, /usr/share/datasets/fashion-mnist, data/datasets/fashion-mnist)",
    )
    parser.add_argument("--download", action="store_true", help="let torchvision download CIFAR")
    parser.add_argument("--input-size", type=int, choices=(28, 32), help="Fashion-MNIST: 28 (default) or 32 (padded)")
    parser.add_argument(
        "--train-subset", type=positive_int, help="Fashion-MNIST: train on this many images (class-balanced, fixed)"
    )
    parser.add_argument(
        "--eval-every", type=positive_int, help="evaluate every N epochs and after the last (default: every epoch)"
    )
    parser.add_argument(
        "--accumulation-steps", type=positive_int, default=1, help="micro-batches per step on one process"
    )
    parser.set_defaults(handler=run)
