"""``attnlib bench``: latency sweeps, module benchmarks, int8, and training throughput (interleaved timing)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from attnlib.checks import non_negative_int, positive_float, positive_int
from attnlib.cli.options import FORMAT, add_record_options

_SUMMARY_COLUMNS = [
    "engine",
    "precision",
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


def run(args: argparse.Namespace) -> int:
    import logging

    import pandas as pd

    from attnlib.attention import BASELINE, available
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.experiment import Experiment
    from attnlib.bench.latency import Variant
    from attnlib.bench.modules import module_variants
    from attnlib.checks import require_device
    from attnlib.reproduce.presets import PRESETS, table2_overview
    from attnlib.reproduce.sweeps import run_steps

    logging.basicConfig(level=logging.INFO if args.preset else logging.WARNING, format="attnlib: %(message)s")
    if not args.dry_run:
        require_device(args.device)
    root = None if args.output is None else Path(args.output)
    # The engine's options from the command line, by keyword (the same shape as other config calls).
    options = EngineOptions(
        device=args.device,
        precision=args.precision,
        channels_last=args.channels_last,
        cuda_graphs=args.cuda_graphs,
        threads=args.threads,
        compile_mode=args.compile_mode,
    )
    model = args.model or "resnet50"
    attentions = [a for a in (args.attention or available()) if a != BASELINE]
    engines = tuple(args.engine or ("eager",))
    if args.what == "train" and args.settings:
        return _bench_train_settings(args, [BASELINE, *attentions], options, root)
    if args.what == "train":
        return _bench_train(args, [Variant(model, a) for a in [BASELINE, *attentions]], options, root)
    if args.preset:
        experiments = PRESETS[args.preset]()
        protocol = f"preset {args.preset}"
    elif args.what == "zoo":
        from dataclasses import replace

        from attnlib.reproduce import zoo

        settings = zoo.SETTINGS.get(args.profile)
        changes = {"engines": tuple(args.engine)} if args.engine else {}
        if args.trials:
            changes["trials"] = args.trials
        if args.device == "cuda":
            changes["device"] = "cuda"
        experiments = [zoo.experiment(replace(settings, **changes), args.threads)]
        protocol = f"zoo chapter, profile {args.profile}"
    elif args.what == "fashion":
        from attnlib.reproduce import fashion

        engines = tuple(args.engine or fashion.COST_ENGINES)
        experiments = [fashion.latency_experiment("default", engines, args.trials or 200, args.threads)]
        protocol = "fashion chapter: the Fashion-MNIST campaign's networks, 28², batch 1 and 16"
    elif args.what == "int8":
        from attnlib.bench.engines import INT8_ENGINES
        from attnlib.reproduce import int8

        engines = tuple(args.engine or INT8_ENGINES)
        experiments = int8.experiments(args.trials or int8.TRIALS, int8.WARMUP, args.threads, engines)
        protocol = "int8 section of the Fig. 3 chapter: ResNet-18/50, batch 1 and 16, 224², fp32 then int8"
    elif args.what == "int8-accuracy":
        return _bench_int8_accuracy(args, root)
    elif args.what == "modules":
        variants = module_variants(model, attentions, timm=not args.no_timm)
        groups = [(variants, args.resolution, args.batch_size)]
        experiments = [Experiment("modules", groups, engines, options, args.trials or 200, args.warmup)]
        protocol = "ad hoc"
    else:
        groups = [([Variant(model, a) for a in [BASELINE, *attentions]], args.resolution, args.batch_size)]
        experiments = [Experiment("single", groups, engines, options, args.trials or 200, args.warmup)]
        protocol = "ad hoc"
    if args.dry_run:
        import torch

        from attnlib.reproduce.presets import dry_run

        experiments = dry_run(experiments, torch.cuda.is_available())
        protocol = f"dry run of {protocol}"
    for experiment in experiments:
        require_device(experiment.options.device)
    began = time.monotonic()
    summaries, steps, failed = run_steps(
        experiments,
        args.profile,
        protocol=protocol,
        root=root,
        save=not args.no_save,
        committed=args.commit,
        session=args.session,
        budget_min=args.budget,
    )
    summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    if args.json:
        print(summary.to_json(orient="records"))
    elif args.preset:
        # one screen: what each step did and took, and ResNet-50's Table 2 row per engine
        print(pd.DataFrame(steps).to_string(index=False))
        title, overview = table2_overview(summaries)
        if not overview.empty:
            print(f"\n{title}\n{overview.to_string()}")
        print(f"\n{time.monotonic() - began:.0f} s in all")
    elif not summary.empty:
        print(summary[_SUMMARY_COLUMNS].round(2).to_string(index=False))
    if args.what == "fashion" and not args.dry_run:
        failed += _bench_fashion_training(args, options, root)
    for line in failed:
        print(f"attnlib: FAILED {line}", file=sys.stderr)
    return 0 if not summary.empty and not failed else 1


def _bench_int8_accuracy(args: argparse.Namespace, root: Path | None) -> int:
    """``bench int8-accuracy``: the Fashion-MNIST networks' test top-1 in fp32 and int8, as a record."""
    from attnlib.provenance import provenance
    from attnlib.reproduce import int8
    from attnlib.results import write_record

    if args.dry_run:
        networks = int8.accuracy_networks()
        listed = ", ".join(networks) if networks else "no network (none is committed)"
        print(f"attnlib: int8-accuracy would evaluate {listed}")
        return 0
    from attnlib.reproduce import fashion

    frame = int8.measure_accuracy("default", threads=args.threads, campaign=fashion.CONVERGED)
    print(int8.accuracy_table(frame).to_string(index=False))
    print(int8.accuracy_sentence(frame))
    if not args.no_save:
        record = provenance(
            args.profile,
            experiment=int8.ACCURACY_KIND,
            campaign=fashion.CONVERGED,  # whose committed weights were evaluated
            dataset="fashion-mnist (10000 test images)",
            calibration_images=int8.ACCURACY_CALIBRATION_IMAGES,
            threads=args.threads,
        )
        path = write_record(int8.ACCURACY_KIND, f"{int8.ACCURACY_KIND}-cpu", frame, record, root, args.commit)
        print(f"attnlib: record written to {path}", file=sys.stderr)
    return 0


def _bench_fashion_training(args: argparse.Namespace, options: Any, root: Path | None) -> list[str]:
    """``bench fashion``'s second part: the campaign networks' training steps, and their record."""
    from attnlib.bench.training import record_train_steps
    from attnlib.reproduce import fashion

    summary = fashion.measure_training_costs("default", options)
    path = record_train_steps(
        summary, args.profile, options, 20, 3, root, args.commit, args.session, fashion.TRAIN_STEP_EXPERIMENT
    )
    columns = ["model", "variant", "min_ms", "median_ms", "overhead_median_pct", "images_per_s"]
    print(summary[columns].round(2).to_string(index=False))
    print(f"wrote {path}", file=sys.stderr)
    return []


def _bench_train(args: argparse.Namespace, variants: list[Any], options: Any, root: Path | None) -> int:
    """``attnlib bench train``: a training step of each variant, timed interleaved, and its record."""
    from attnlib.bench.training import measure_train_steps, record_train_steps

    trials = args.trials or 20
    summary = measure_train_steps(variants, args.batch_size, args.resolution, options, args.amp, trials, args.warmup)
    if not args.no_save:
        path = record_train_steps(summary, args.profile, options, trials, args.warmup, root, args.commit, args.session)
        print(f"wrote {path}", file=sys.stderr)
    columns = ["variant", "min_ms", "median_ms", "overhead_min_pct", "images_per_s", "tmacs"]
    print(summary.to_json(orient="records") if args.json else summary[columns].round(2).to_string(index=False))
    return 0 if not summary.empty else 1


def _bench_train_settings(args: argparse.Namespace, attentions: list[str], options: Any, root: Path | None) -> int:
    """``attnlib bench train --settings``: training steps in each setting (precision, layout, compile), interleaved."""
    from attnlib.bench.latency import Variant
    from attnlib.bench.training import (
        SETTINGS_EXPERIMENT,
        TrainingSetting,
        cpu_settings,
        measure_training_settings,
        record_train_steps,
    )
    from attnlib.provenance import cpu_features

    trials = args.trials or 20
    if args.settings == ["campaign"]:
        from attnlib.reproduce import fashion

        variants, settings = fashion.settings_variants("default"), cpu_settings(cpu_features())
        batch, side, experiment = fashion.settings_of("default").base.batch_size, 28, fashion.TRAIN_SETTINGS_EXPERIMENT
    else:
        model = args.model or "resnet50"
        variants = [Variant(model, a, block=args.block, in_channels=args.in_channels) for a in attentions]
        settings = tuple(TrainingSetting.parse(text) for text in args.settings)
        batch, side, experiment = args.batch_size, args.resolution, SETTINGS_EXPERIMENT
    summary = measure_training_settings(variants, settings, batch, side, options, trials, args.warmup)
    if not args.no_save:
        path = record_train_steps(
            summary, args.profile, options, trials, args.warmup, root, args.commit, args.session, experiment
        )
        print(f"wrote {path}", file=sys.stderr)
    columns = ["network", "attention", "setting", "min_ms", "median_ms", "images_per_s", "speedup_median"]
    print(summary.to_json(orient="records") if args.json else summary[columns].round(2).to_string(index=False))
    return 0 if not summary.empty else 1


def add(commands: Any) -> None:
    from attnlib.names import COMPARED, COMPILE_MODES, ENGINES, PRECISIONS, PRESETS
    from attnlib.profiles import PROFILES

    parser = commands.add_parser("bench", help="time networks interleaved on one or more engines", **FORMAT)
    parser.add_argument(
        "what",
        nargs="?",
        choices=("modules", "zoo", "train", "fashion", "int8", "int8-accuracy"),
        help="'modules': attnlib vs plain reference vs timm modules inside one network; 'zoo': the paper's "
        "modules and timm's channel-attention layers in ResNet-18/50 at the --profile's settings (Beyond the paper); "
        "'train': a training step (forward, backward, SGD) of --model with each module, and the TMAC/s it achieves; "
        "'fashion': inference (batch 1 and 16) and training steps of the Fashion-MNIST campaign's networks; "
        "'int8': ResNet-18/50 with each module in fp32 and int8 on the compile and openvino engines (CPU); "
        "'int8-accuracy': the converged Fashion-MNIST campaign's networks' test top-1 in fp32 and int8",
    )
    parser.add_argument("--model", help="network to time (default resnet50)")
    parser.add_argument("--attention", nargs="+", choices=COMPARED, help="modules to compare (default: all five)")
    parser.add_argument("--engine", nargs="+", choices=ENGINES, help="engines (default: eager)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--precision", default="fp32", choices=tuple(PRECISIONS))
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--amp", action="store_true", help="train: fp16 autocast and a gradient scaler (CUDA)")
    parser.add_argument(
        "--settings",
        nargs="+",
        metavar="SETTING",
        help="train: compare training settings instead of modules — each a precision (fp32, bf16) optionally with "
        "+fp32_conv (bf16 convolutions by fp32 kernels), +channels_last and +compile, e.g. fp32 bf16 "
        "bf16+channels_last bf16+channels_last+compile; 'campaign' times the Fashion-MNIST campaign's networks "
        "(28², one channel, batch 128) in the settings that matter on this CPU (with or without native bf16)",
    )
    parser.add_argument("--block", choices=("basic", "bottleneck"), help="train: the CIFAR ResNet's block type")
    parser.add_argument("--in-channels", type=positive_int, default=3, help="train: input channels (1: grayscale)")
    parser.add_argument("--cuda-graphs", action="store_true", help="replay eager or compiled models as CUDA graphs")
    parser.add_argument(
        "--compile-mode", default="default", choices=COMPILE_MODES, help="torch.compile's mode (engine 'compile')"
    )
    parser.add_argument("--threads", type=positive_int, help="CPU threads (default: PyTorch's setting, recorded)")
    parser.add_argument("--resolution", type=positive_int, default=224)
    parser.add_argument("--batch-size", type=positive_int, default=1)
    parser.add_argument(
        "--trials", type=positive_int, help="timed trials per network (default 200; zoo: the profile's)"
    )
    parser.add_argument("--warmup", type=non_negative_int, default=10)
    parser.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        help="run a named sweep (gpu: Figs. 3/5/6, modules, zoo on CUDA; gpu-compile: torch.compile on CUDA; "
        "cpu: the committed CPU records); fixes its own networks",
    )
    parser.add_argument(
        "--budget",
        type=positive_float,
        help="minutes: start no timing group after this (a lent GPU's time); what is left is named",
    )
    parser.add_argument(
        "--session",
        help="an id for this call's records (default: its start time); calls given the same id are shown "
        "as one measurement (e.g. --preset gpu, then --preset gpu-compile)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="every step at 32², batch 1, 2 trials (CUDA-only options fall back to CPU without a GPU): "
        "checks a preset's command before a long run; never with --commit",
    )
    parser.add_argument("--profile", default="default", choices=PROFILES, help="profile recorded with the results")
    parser.add_argument("--no-timm", action="store_true", help="modules: leave timm's SE and ECA out")
    add_record_options(parser, "save")
    parser.add_argument("--output", help="results root (default: data/runs, or data/results with --commit)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON records")
    parser.set_defaults(handler=run, check=lambda args: _check_bench(parser, args))


def _check_bench(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.amp and (args.what != "train" or args.device != "cuda"):
        parser.error("--amp is for 'bench train' on --device cuda (inference precision: --precision)")
    if args.settings and args.what != "train":
        parser.error("--settings compares training settings: use it with 'bench train'")
    if args.settings and args.settings != ["campaign"]:
        from attnlib.names import TrainingSetting

        for text in args.settings:
            try:
                TrainingSetting.parse(text)
            except ValueError as error:
                parser.error(str(error))
        if args.amp:
            parser.error("--settings chooses each step's precision; drop --amp")
    if args.what == "train":
        fixed = [
            f"--{name.replace('_', '-')}"
            for name in ("preset", "engine", "dry_run", "cuda_graphs")
            if getattr(args, name)
        ]
        fixed += ["--precision"] if args.precision != "fp32" else []
        fixed += ["--compile-mode"] if args.compile_mode != "default" else []
        if fixed:
            parser.error(f"bench train times eager training steps (AMP: --amp); it cannot take {', '.join(fixed)}")
    if args.dry_run and args.commit:
        parser.error("--dry-run records are never committed; drop --commit")
    if args.compile_mode == "reduce-overhead" and args.cuda_graphs:
        parser.error("--compile-mode reduce-overhead captures CUDA graphs itself; drop --cuda-graphs")
    if args.what == "zoo":
        fixed = [f"--{name.replace('_', '-')}" for name in ("model", "attention", "preset") if getattr(args, name)]
        if fixed:
            parser.error(f"bench zoo runs the zoo chapter's networks at --profile; it cannot take {', '.join(fixed)}")
    if args.preset:
        fixed = [f"--{name.replace('_', '-')}" for name in ("model", "attention", "engine") if getattr(args, name)]
        if args.what:
            fixed.append("'modules'")
        if fixed:
            parser.error(f"--preset {args.preset} runs a fixed sweep; it cannot be combined with {', '.join(fixed)}")
