"""``attnlib detect``: one checkpointed detection training run (resumable), with its record."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from attnlib.checks import positive_int
from attnlib.cli.options import FORMAT, add_run_options
from attnlib.cli.runs import RUN_OVERRIDES, announce_run, given_options


def run(args: argparse.Namespace) -> int:
    import logging
    from dataclasses import replace

    from attnlib.checks import require_device
    from attnlib.detection.records import write_detection_record
    from attnlib.paper import data_root
    from attnlib.reproduce import table4, table5
    from attnlib.train import train
    from attnlib.train.distributed import distributed_context

    logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
    dataset = args.dataset or ("coco" if args.table == 4 else "bdd100k")
    if ("coco" in dataset) != (args.table == 4):
        raise ValueError(
            f"Table {args.table} is trained on {'COCO' if args.table == 4 else 'BDD100k'}, not {dataset!r}"
        )
    if args.table == 4:
        settings = table4.SETTINGS.get(args.profile)
        if args.backbone_weights:
            config = replace(
                settings.detection,
                attention=args.attention,
                init=args.init,
                backbone_weights=args.backbone_weights,
            )
        else:
            cache = data_root() / "checkpoints" / f"table4-{args.profile}"
            config = table4.table4_config(settings, args.attention, args.init, cache)
    else:
        settings = table5.SETTINGS.get(args.profile)
        config = table5.table5_config(settings, args.split, args.attention, args.method)
    overrides = given_options(args, (*RUN_OVERRIDES, "coco_layout", "augmentation", "amp", "image_size"))
    config = replace(config, dataset=dataset, **overrides)
    require_device(config.device)
    if distributed_context(config.device).is_main:
        announce_run(config)
    result = train(config, resume=args.resume, overwrite=args.overwrite)
    if distributed_context(config.device).is_main:
        final = result.final
        print(f"{config.run_name}: AP {final['AP']:.1f}, AP50 {final['AP50']:.1f} after {final['epoch'] + 1} epochs")
        if not args.no_record:
            print(f"wrote {write_detection_record(config, result, args.commit)}", file=sys.stderr)
    return 0


def add(commands: Any) -> None:
    from attnlib.names import AUGMENTATIONS, BASELINE, COCO_LAYOUTS, COMPARED, DETECTION_DATASETS
    from attnlib.names import BDD_SPLITS as SPLITS

    parser = commands.add_parser(
        "detect",
        help="train and evaluate one detector of Table 4 (COCO) or 5 (BDD100k); torchrun for several GPUs",
        **FORMAT,
    )
    parser.add_argument("--table", type=int, choices=(4, 5), required=True)
    parser.add_argument(
        "--dataset",
        choices=DETECTION_DATASETS,
        help="default: the table's real dataset (coco / bdd100k); synthetic-* for generated data",
    )
    parser.add_argument("--attention", default=BASELINE, choices=COMPARED)
    parser.add_argument("--init", default="pretrained", choices=("pretrained", "scratch"), help="Table 4 only")
    parser.add_argument("--backbone-weights", help="Table 4: ImageNet checkpoint (default: the Table 2 run's)")
    parser.add_argument("--split", default="all", choices=SPLITS, help="Table 5 only")
    parser.add_argument("--method", choices=("ibn", "style_adversarial"), help="Table 5 domain generalisation")
    add_run_options(parser)
    parser.add_argument("--data-root", help="COCO or BDD100k root (default $ATTNLIB_COCO / $ATTNLIB_BDD100K)")
    parser.add_argument("--coco-layout", choices=COCO_LAYOUTS)
    parser.add_argument("--augmentation", choices=AUGMENTATIONS, help="training transforms (default per table)")
    parser.add_argument(
        "--image-size",
        type=positive_int,
        help="SSD's square input, Faster R-CNN's shorter side, in pixels (default per table and profile)",
    )
    parser.set_defaults(handler=run)
