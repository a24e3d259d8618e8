"""The ``attnlib`` command: complexity counts and notebook runs from the shell."""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _literal(text: str) -> Any:
    """Parse a ``-p key value`` value like papermill: Python literal if it parses, else string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _complexity(args: argparse.Namespace) -> int:
    from attnlib.complexity import count_model

    options = {"block": args.block} if args.block else {}
    result = count_model(
        args.model,
        None if args.attention == "baseline" else args.attention,
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


def _notebook(args: argparse.Namespace) -> int:
    from attnlib.notebooks import execute

    parameters = {key: _literal(value) for key, value in args.parameter}
    profile = parameters.pop("profile", args.profile)
    output = execute(args.name, profile, args.output, parameters)
    print(output)
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from attnlib.notebooks import execute_all

    report = execute_all(args.profile, args.output, args.names or None)
    for name, outcome in report.items():
        print(f"{name:24s} {outcome}")
    return 1 if any(outcome.startswith("FAILED") for outcome in report.values()) else 0


def _bench(args: argparse.Namespace) -> int:
    import logging

    import pandas as pd

    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.latency import Variant
    from attnlib.bench.modules import module_variants
    from attnlib.bench.presets import PRESETS, Experiment, run_experiment

    logging.basicConfig(level=logging.WARNING, format="attnlib: %(message)s")
    root = None if args.output is None else Path(args.output)
    options = EngineOptions(
        device=args.device,
        precision=args.precision,
        channels_last=args.channels_last,
        cuda_graphs=args.cuda_graphs,
        threads=args.threads,
    )
    if args.preset:
        experiments = PRESETS[args.preset]()
    elif args.what == "modules":
        variants = module_variants(args.model, [a for a in args.attention if a != "baseline"], timm=not args.no_timm)
        groups = [(variants, args.resolution, args.batch_size)]
        experiments = [Experiment("modules", groups, tuple(args.engine), options, args.trials, args.warmup)]
    else:
        attentions = ["baseline", *[a for a in args.attention if a != "baseline"]]
        groups = [([Variant(args.model, a) for a in attentions], args.resolution, args.batch_size)]
        experiments = [Experiment("single", groups, tuple(args.engine), options, args.trials, args.warmup)]
    summaries = []
    for experiment in experiments:
        result, path = run_experiment(experiment, args.profile, save=not args.no_save, root=root, progress=True)
        for engine, reason in result.skipped.items():
            print(f"skipped {engine}: {reason}", file=sys.stderr)
        if path is not None:
            print(f"wrote {path}", file=sys.stderr)
        summaries.append(result.summary)
    summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    if args.json:
        print(summary.to_json(orient="records"))
    elif not summary.empty:
        columns = [
            "engine",
            "model",
            "variant",
            "resolution",
            "batch_size",
            "min_ms",
            "median_ms",
            "overhead_min_pct",
            "overhead_median_pct",
            "ci_low_pct",
            "ci_high_pct",
        ]
        print(summary[columns].round(2).to_string(index=False))
    return 0 if not summary.empty else 1


def _train(args: argparse.Namespace) -> int:
    import dataclasses
    import logging

    from attnlib.train import TrainConfig, profile_config, train, write_training_record
    from attnlib.train.loop import distributed_context

    logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"profile", "seed", "attention", "dataset", "model"}
    overrides = {
        k: tuple(v) if isinstance(v, list) else v for k, v in vars(args).items() if k in fields and v is not None
    }
    if args.amp:
        overrides["amp"] = True
    if args.channels_last:
        overrides["channels_last"] = True
    attention = None if args.attention == "baseline" else args.attention
    config = profile_config(args.profile, args.dataset, args.model, attention, args.seed, **overrides)
    result = train(config, resume=args.resume, accumulation_steps=args.accumulation_steps)
    if distributed_context(config.device).is_main:
        final = result.final
        print(
            f"{config.run_name}: top-1 {final['top1']:.2f} %, top-5 {final['top5']:.2f} % after "
            f"{final['epoch'] + 1} epochs (checkpoint {result.checkpoint})"
        )
        if not args.no_record:
            print(f"wrote {write_training_record(config, result.history, **result.dataset)}", file=sys.stderr)
    return 0


def _detect(args: argparse.Namespace) -> int:
    import logging
    from dataclasses import replace

    from attnlib.detection import experiments
    from attnlib.paper import data_root
    from attnlib.train.loop import distributed_context, train

    logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
    module = args.attention
    if args.table == 4:
        settings = experiments.table4_settings(args.profile)
        if args.backbone_weights:
            attention = None if module == "baseline" else module
            config = replace(
                settings.detection, attention=attention, init=args.init, backbone_weights=args.backbone_weights
            )
        else:
            cache = data_root() / "checkpoints" / f"table4-{args.profile}"
            config = experiments.table4_config(settings, module, args.init, cache)
    else:
        settings = experiments.table5_settings(args.profile)
        config = experiments.table5_config(settings, args.split, module, args.method)
    overrides = {
        name: getattr(args, name)
        for name in (
            "epochs",
            "batch_size",
            "lr",
            "device",
            "workers",
            "data_root",
            "output",
            "coco_layout",
            "augmentation",
            "seed",
        )
        if getattr(args, name) is not None
    }
    if args.lr_milestones is not None:
        overrides["lr_milestones"] = tuple(args.lr_milestones)
    if args.amp:
        overrides["amp"] = True
    config = replace(config, **overrides)
    result = train(config, resume=args.resume)
    if distributed_context(config.device).is_main:
        final = result.final
        print(f"{config.run_name}: AP {final['AP']:.1f}, AP50 {final['AP50']:.1f} after {final['epoch'] + 1} epochs")
        if not args.no_record:
            print(f"wrote {experiments.write_detection_record(config, result)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``attnlib`` command."""
    from attnlib.attention import available
    from attnlib.complexity import CONVENTIONS
    from attnlib.notebooks import NOTEBOOKS, PROFILES

    parser = argparse.ArgumentParser(prog="attnlib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    complexity = commands.add_parser("complexity", help="parameters and MACs of one model")
    complexity.add_argument("--model", default="resnet50", help="resnet18/34/50/101/152 or cifar_resnet<depth>")
    complexity.add_argument("--attention", default="baseline", choices=("baseline", *available()))
    complexity.add_argument("--block", choices=("basic", "bottleneck"), help="CIFAR ResNets only")
    complexity.add_argument("--convention", default="paper", choices=CONVENTIONS)
    complexity.add_argument("--resolution", type=int, default=224)
    complexity.add_argument("--batch-size", type=int, default=1)
    complexity.add_argument("--json", action="store_true", help="print one JSON object")
    complexity.set_defaults(handler=_complexity)

    from attnlib.bench.engines import ENGINES, PRECISIONS
    from attnlib.bench.presets import PRESETS

    bench = commands.add_parser("bench", help="time networks interleaved on one or more engines")
    bench.add_argument(
        "what",
        nargs="?",
        choices=("modules",),
        help="'modules': attnlib vs plain reference vs timm modules inside one network",
    )
    bench.add_argument("--model", default="resnet50")
    bench.add_argument("--attention", nargs="+", default=["baseline", *available()], choices=("baseline", *available()))
    bench.add_argument("--engine", nargs="+", default=["eager"], choices=ENGINES)
    bench.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    bench.add_argument("--precision", default="fp32", choices=tuple(PRECISIONS))
    bench.add_argument("--channels-last", action="store_true")
    bench.add_argument("--cuda-graphs", action="store_true")
    bench.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's setting, recorded)")
    bench.add_argument("--resolution", type=int, default=224)
    bench.add_argument("--batch-size", type=int, default=1)
    bench.add_argument("--trials", type=int, default=200)
    bench.add_argument("--warmup", type=int, default=10)
    bench.add_argument("--preset", choices=tuple(PRESETS), help="run a named sweep (gpu: Figs. 3/5/6 on CUDA)")
    bench.add_argument("--profile", default="paper", choices=PROFILES, help="profile recorded with the results")
    bench.add_argument("--no-timm", action="store_true", help="modules: leave timm's SE and ECA out")
    bench.add_argument("--no-save", action="store_true", help="do not write a run record")
    bench.add_argument("--output", help="results root (default data/results)")
    bench.add_argument("--json", action="store_true", help="print the summary as JSON records")
    bench.set_defaults(handler=_bench)

    from attnlib.train import DATASETS
    from attnlib.train import PROFILES as TRAIN_PROFILES

    training = commands.add_parser("train", help="train one model (one seed); torchrun for several processes")
    training.add_argument("--dataset", default="cifar100", choices=DATASETS)
    training.add_argument("--model", default="cifar_resnet56")
    training.add_argument("--block", choices=("basic", "bottleneck"))
    training.add_argument("--attention", default="baseline", choices=("baseline", *available()))
    training.add_argument("--seed", type=int, default=0)
    training.add_argument(
        "--profile",
        default="default",
        choices=TRAIN_PROFILES,
        help="paper: the paper's protocol on real data; default/smoke: synthetic data, few epochs",
    )
    training.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    training.add_argument("--epochs", type=int)
    training.add_argument("--batch-size", type=int, help="global batch size")
    training.add_argument("--lr", type=float)
    training.add_argument("--lr-milestones", type=int, nargs="+")
    training.add_argument("--device", choices=("cpu", "cuda"))
    training.add_argument("--amp", action="store_true")
    training.add_argument("--channels-last", action="store_true")
    training.add_argument("--workers", type=int)
    training.add_argument("--data-root")
    training.add_argument("--download", action="store_true", default=None)
    training.add_argument("--output", help="checkpoint folder (default data/checkpoints/<run name>)")
    training.add_argument("--accumulation-steps", type=int, default=1)
    training.add_argument("--no-record", action="store_true", help="do not write a run record")
    training.set_defaults(handler=_train)

    from attnlib.detection.bdd import SPLITS
    from attnlib.detection.data import AUGMENTATIONS, COCO_LAYOUTS

    detect = commands.add_parser(
        "detect", help="train and evaluate one detector of Table 4 (COCO) or 5 (BDD100k); torchrun for several GPUs"
    )
    detect.add_argument("--table", type=int, choices=(4, 5), required=True)
    detect.add_argument("--attention", default="baseline", choices=("baseline", *available()))
    detect.add_argument("--init", default="pretrained", choices=("pretrained", "scratch"), help="Table 4 only")
    detect.add_argument("--backbone-weights", help="Table 4: ImageNet checkpoint (default: the Table 2 run's)")
    detect.add_argument("--split", default="all", choices=SPLITS, help="Table 5 only")
    detect.add_argument("--method", choices=("ibn", "style_adversarial"), help="Table 5 domain generalisation")
    detect.add_argument("--profile", default="default", choices=TRAIN_PROFILES)
    detect.add_argument("--data-root", help="COCO or BDD100k root (default $ATTNLIB_COCO / $ATTNLIB_BDD100K)")
    detect.add_argument("--coco-layout", choices=COCO_LAYOUTS)
    detect.add_argument("--augmentation", choices=AUGMENTATIONS, help="training transforms (default per table)")
    detect.add_argument("--seed", type=int)
    detect.add_argument("--epochs", type=int)
    detect.add_argument("--batch-size", type=int, help="global batch size")
    detect.add_argument("--lr", type=float)
    detect.add_argument("--lr-milestones", type=int, nargs="+")
    detect.add_argument("--device", choices=("cpu", "cuda"))
    detect.add_argument("--amp", action="store_true")
    detect.add_argument("--workers", type=int)
    detect.add_argument("--output", help="checkpoint folder (default data/checkpoints/<run name>)")
    detect.add_argument("--resume", action="store_true", help="continue from the run's last checkpoint")
    detect.add_argument("--no-record", action="store_true", help="do not write a run record")
    detect.set_defaults(handler=_detect)

    notebook = commands.add_parser("notebook", help="execute one notebook with papermill")
    notebook.add_argument("name", choices=list(NOTEBOOKS))
    notebook.add_argument("--profile", default="default", choices=PROFILES)
    notebook.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    notebook.add_argument("--output", help="folder for the executed notebook (default book/notebooks)")
    notebook.set_defaults(handler=_notebook)

    notebooks = commands.add_parser("notebooks", help="execute all notebooks, reporting each")
    notebooks.add_argument("names", nargs="*", help="a subset (default: all)")
    notebooks.add_argument("--profile", default="default", choices=PROFILES)
    notebooks.add_argument("--output", help="folder for the executed notebooks (default book/notebooks)")
    notebooks.set_defaults(handler=_notebooks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``attnlib`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"attnlib: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
