"""The ``attnlib`` command: complexity counts, latency runs, trainings and notebook runs from the shell.

Every numeric option is validated where it is parsed (one line naming the option and the accepted
values); library errors (missing data, a refused resume, an unknown name) end the command with one
``attnlib: error: …`` line and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attnlib.checks import non_negative_int, positive_float, positive_int


def _literal(text: str) -> Any:
    """Parse a ``-p key value`` value like papermill: Python literal if it parses, else string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _complexity(args: argparse.Namespace) -> int:
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


def _bench(args: argparse.Namespace) -> int:
    import logging

    import pandas as pd

    from attnlib.attention import BASELINE, available
    from attnlib.bench.engines import EngineOptions
    from attnlib.bench.experiment import Experiment
    from attnlib.bench.latency import Variant
    from attnlib.bench.modules import module_variants
    from attnlib.checks import require_device
    from attnlib.reproduce.presets import PRESETS, table2_overview

    logging.basicConfig(level=logging.INFO if args.preset else logging.WARNING, format="attnlib: %(message)s")
    if not args.dry_run:
        require_device(args.device)
    root = None if args.output is None else Path(args.output)
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
    summaries, steps, failed = _run_steps(experiments, args, protocol, root)
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
    from attnlib.reproduce import int8
    from attnlib.results import provenance, write_record

    if args.dry_run:
        networks = int8.accuracy_networks()
        listed = ", ".join(networks) if networks else "no network (none is committed)"
        print(f"attnlib: int8-accuracy would evaluate {listed}")
        return 0
    frame = int8.measure_accuracy("default", threads=args.threads)
    print(int8.accuracy_table(frame).to_string(index=False))
    print(int8.accuracy_sentence(frame))
    if not args.no_save:
        record = provenance(
            args.profile,
            experiment=int8.ACCURACY_KIND,
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
        CPU_SETTINGS,
        SETTINGS_EXPERIMENT,
        TrainingSetting,
        measure_training_settings,
        record_train_steps,
    )

    trials = args.trials or 20
    if args.settings == ["campaign"]:
        from attnlib.reproduce import fashion

        variants, settings = fashion.settings_variants("default"), CPU_SETTINGS
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


def _run_steps(
    experiments: Sequence[Any], args: argparse.Namespace, protocol: str, root: Path | None
) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    """Run ``bench``'s experiments one after another: each builds on the networks built before it,
    stops starting groups at ``--budget``, writes its record, and says what it took. A step that raises
    is named and skipped when there are several (a lent GPU's sweep is one shot). Returns the
    summaries, one row per step, and the failures."""
    from attnlib.bench.experiment import run_experiment
    from attnlib.bench.latency import BuiltModels
    from attnlib.reproduce.presets import step_title

    def step_row(index: int, experiment: Any, seconds: float | None, timed: int, record: str) -> dict[str, Any]:
        return {
            "step": index + 1,
            "experiment": step_title(experiment),
            "seconds": seconds,
            "networks timed": timed,
            "record": record,
        }

    summaries, steps, failed = [], [], []
    session = args.session or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    began = time.monotonic()
    deadline = None if args.budget is None else began + 60 * args.budget
    models = BuiltModels()  # every experiment of this call builds each network once
    for index, experiment in enumerate(experiments):
        print(
            f"attnlib: experiment {index + 1}/{len(experiments)}: {step_title(experiment)}", file=sys.stderr, flush=True
        )
        start = time.monotonic()
        try:
            result, path = run_experiment(
                experiment,
                args.profile,
                save=not args.no_save,
                root=root,
                progress=sys.stderr.isatty(),
                committed=args.commit,
                protocol=protocol,
                models=models,
                deadline=deadline,
                session=session,
            )
        except Exception as error:
            if len(experiments) == 1:
                raise
            # a sweep on a lent GPU is one shot: one broken step must not cost the steps after it
            lines = str(error).strip().splitlines() or [""]
            failed.append(f"experiment {index + 1} ({step_title(experiment)}): {type(error).__name__}: {lines[-1]}")
            print(f"attnlib: {failed[-1]}", file=sys.stderr, flush=True)
            steps.append(step_row(index, experiment, None, 0, f"FAILED: {type(error).__name__}"))
            continue
        seconds = time.monotonic() - start
        for engine, reason in result.skipped.items():
            print(f"skipped {engine}: {reason}", file=sys.stderr)
        print(
            f"attnlib: experiment {index + 1} took {seconds:.1f} s ({time.monotonic() - began:.0f} s in all)"
            + (f"; wrote {path}" if path is not None else ""),
            file=sys.stderr,
            flush=True,
        )
        summaries.append(result.summary.assign(experiment=experiment.name))
        steps.append(step_row(index, experiment, round(seconds, 1), len(result.summary), path.name if path else "—"))
    return summaries, steps, failed


# Options shared by ``train`` and ``detect``, copied onto the run's config when given.
_RUN_OVERRIDES = ("epochs", "batch_size", "lr", "lr_milestones", "device", "workers", "data_root", "output", "seed")


def _overrides(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """The config fields among ``names`` that were given on the command line (lists become tuples)."""
    values = {}
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value is not False:
            values[name] = tuple(value) if isinstance(value, list) else value
    return values


def _announce_run(config: Any) -> None:
    """The first line of every training: what runs where, and loudly whether the data is generated."""
    data = (
        f"SYNTHETIC data ({config.dataset}: generated images, a pipeline check — not a result)"
        if config.dataset.startswith("synthetic")
        else f"dataset {config.dataset}"
    )
    print(f"attnlib: {config.run_name} on {config.device} — {data}", file=sys.stderr, flush=True)


def _train(args: argparse.Namespace) -> int:
    import logging

    from attnlib.checks import require_device
    from attnlib.reproduce.training import profile_config
    from attnlib.train import train, write_training_record
    from attnlib.train.distributed import distributed_context

    logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
    overrides = _overrides(
        args,
        (
            *_RUN_OVERRIDES,
            *("block", "download", "amp", "channels_last", "input_size", "train_subset", "eval_every"),
            *("precision", "compile"),
        ),
    )
    overrides.pop("seed", None)
    config = profile_config(args.profile, args.dataset, args.model, args.attention, args.seed, **overrides)
    require_device(config.device)
    if distributed_context(config.device).is_main:
        _announce_run(config)
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


def _detect(args: argparse.Namespace) -> int:
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
    overrides = _overrides(args, (*_RUN_OVERRIDES, "coco_layout", "augmentation", "amp", "image_size"))
    config = replace(config, dataset=dataset, **overrides)
    require_device(config.device)
    if distributed_context(config.device).is_main:
        _announce_run(config)
    result = train(config, resume=args.resume, overwrite=args.overwrite)
    if distributed_context(config.device).is_main:
        final = result.final
        print(f"{config.run_name}: AP {final['AP']:.1f}, AP50 {final['AP50']:.1f} after {final['epoch'] + 1} epochs")
        if not args.no_record:
            print(f"wrote {write_detection_record(config, result, args.commit)}", file=sys.stderr)
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    import logging

    from attnlib.checks import require_device
    from attnlib.reproduce import campaign

    runs_root = Path(args.runs) if args.runs else None
    if args.run:  # one run of the campaign: what torchrun and SLURM tasks execute
        logging.basicConfig(level=logging.INFO, format="attnlib: %(message)s")
        final = campaign.execute_run(args.table, args.profile, args.run, runs_root, args.commit)
        print(f"{args.table} {args.run}: {json.dumps(final, default=str)}")
        return 0
    runs = campaign.campaign_runs(args.table, args.profile, runs_root, args.only, args.seeds)
    frame = campaign.plan(runs, args.tmacs)
    shown = frame.drop(columns=["folder", "model"]).assign(**{"GPU-hours (est.)": frame["GPU-hours (est.)"].round(3)})
    print(shown.to_string(index=False))
    print(campaign.plan_summary(args.table, args.profile, frame, args.tmacs))
    if args.plan:
        return 0
    if args.aggregate:
        print(campaign.aggregate(args.table, args.profile, runs, runs_root).to_string())
        return 0
    keys = campaign.job_keys(args.table, runs)
    if args.max_runs is not None:
        keys = keys[: args.max_runs]
    if keys and runs[0].config.device == "cuda" and args.launcher != "slurm" and not args.dry_run:
        require_device("cuda")  # this node trains; a SLURM array trains on the cluster's GPUs
    print(f"attnlib: {len(keys)} job(s) to launch with {args.launcher} on {runs[0].config.device}", file=sys.stderr)
    if args.launcher == "local":
        if args.dry_run:
            for key in keys:
                print(f"would run {args.table} {key} in this process")
            return 0
        logging.basicConfig(level=logging.WARNING, format="attnlib: %(message)s")
        campaign.launch_local(args.table, args.profile, keys, runs_root, args.commit)
    elif args.launcher == "torchrun":
        campaign.launch_torchrun(args.table, args.profile, keys, args.gpus, runs_root, args.commit, args.dry_run)
    else:
        options = campaign.SlurmOptions(
            partition=args.partition,
            gpus=args.gpus,
            cpus_per_gpu=args.cpus_per_gpu,
            time_minutes=args.time,
            logs=Path(args.logs) if args.logs else None,
            cluster=args.slurm_cluster,
        )
        jobs = campaign.launch_slurm(args.table, args.profile, keys, options, runs_root, args.commit, args.dry_run)
        if jobs and args.wait:
            for job in jobs:
                job.result()
    if args.dry_run:
        return 0
    runs = campaign.campaign_runs(args.table, args.profile, runs_root, args.only, args.seeds)
    states = campaign.run_states(runs)
    if all(state == "done" for state in states):
        print(campaign.aggregate(args.table, args.profile, runs, runs_root).to_string())
    else:
        left = sum(state != "done" for state in states)
        print(f"attnlib: {left} run(s) not done yet; rerun this command to continue (finished runs are kept)")
    return 0


class _ShowDefaults(argparse.HelpFormatter):
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


def _help_for_every_default(parser: argparse.ArgumentParser) -> None:
    """argparse prints no help line, so no default, for options without help: give them one."""
    for action in parser._actions:
        if not action.help and action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
            action.help = "(default: %(default)s)"
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _help_for_every_default(subparser)


_FORMAT = {"formatter_class": _ShowDefaults}


def _add_complexity(commands: Any) -> None:
    from attnlib.names import BASELINE, COMPARED, CONVENTIONS

    parser = commands.add_parser("complexity", help="parameters and MACs of one model", **_FORMAT)
    parser.add_argument("--model", default="resnet50", help="resnet18/34/50/101/152 or cifar_resnet<depth>")
    parser.add_argument("--attention", default=BASELINE, choices=COMPARED)
    parser.add_argument("--block", choices=("basic", "bottleneck"), help="CIFAR ResNets only")
    parser.add_argument("--convention", default="paper", choices=CONVENTIONS)
    parser.add_argument("--resolution", type=positive_int, default=224)
    parser.add_argument("--batch-size", type=positive_int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_complexity)


def _advise(args: argparse.Namespace) -> int:
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


def _add_advise(commands: Any) -> None:
    from attnlib.names import ENGINES, PRECISIONS

    parser = commands.add_parser(
        "advise",
        help="which attention module, if any, for this network on this machine (measured in minutes)",
        **_FORMAT,
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
    parser.set_defaults(handler=_advise)


def _add_record_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--no-" + what, action="store_true", help="do not write a run record")
    parser.add_argument(
        "--commit",
        action="store_true",
        help="write the run record to data/results/ (shown by the book once committed to git) instead of "
        "data/runs/ (ignored by git, never shown)",
    )


def _add_bench(commands: Any) -> None:
    from attnlib.names import COMPARED, COMPILE_MODES, ENGINES, PRECISIONS, PRESETS
    from attnlib.profiles import PROFILES

    parser = commands.add_parser("bench", help="time networks interleaved on one or more engines", **_FORMAT)
    parser.add_argument(
        "what",
        nargs="?",
        choices=("modules", "zoo", "train", "fashion", "int8", "int8-accuracy"),
        help="'modules': attnlib vs plain reference vs timm modules inside one network; 'zoo': the paper's "
        "modules and timm's channel-attention layers in ResNet-18/50 at the --profile's settings (Beyond the paper); "
        "'train': a training step (forward, backward, SGD) of --model with each module, and the TMAC/s it achieves; "
        "'fashion': inference (batch 1 and 16) and training steps of the Fashion-MNIST campaign's networks; "
        "'int8': ResNet-18/50 with each module in fp32 and int8 on the compile and openvino engines (CPU); "
        "'int8-accuracy': the Fashion-MNIST study's networks' test top-1 in fp32 and int8",
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
        "+channels_last and +compile, e.g. fp32 bf16 bf16+channels_last bf16+channels_last+compile; "
        "'campaign' times the Fashion-MNIST campaign's networks (28², one channel, batch 128) in those four",
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
    _add_record_options(parser, "save")
    parser.add_argument("--output", help="results root (default: data/runs, or data/results with --commit)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON records")
    parser.set_defaults(handler=_bench, check=lambda args: _check_bench(parser, args))


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


def _add_run_options(parser: argparse.ArgumentParser) -> None:
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
    _add_record_options(parser, "record")


def _add_train(commands: Any) -> None:
    from attnlib.names import BASELINE, COMPARED, TRAIN_PRECISIONS
    from attnlib.names import TRAIN_DATASETS as DATASETS

    parser = commands.add_parser("train", help="train one model (one seed); torchrun for several processes", **_FORMAT)
    parser.add_argument(
        "--dataset",
        required=True,
        choices=DATASETS,
        help="a real dataset (read from disk, or refused with where to get it) or synthetic-* (generated)",
    )
    parser.add_argument("--model", default="cifar_resnet56")
    parser.add_argument("--block", choices=("basic", "bottleneck"))
    parser.add_argument("--attention", default=BASELINE, choices=COMPARED)
    _add_run_options(parser)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument(
        "--precision",
        choices=TRAIN_PRECISIONS,
        help="training arithmetic: fp32 (default) or bf16 autocast over fp32 weights (fast on CPUs with AVX-512 "
        "BF16 or AMX; evaluation stays fp32)",
    )
    parser.add_argument("--compile", action="store_true", help="train through torch.compile of the network")
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
    parser.set_defaults(handler=_train)


def _add_detect(commands: Any) -> None:
    from attnlib.names import AUGMENTATIONS, BASELINE, COCO_LAYOUTS, COMPARED, DETECTION_DATASETS
    from attnlib.names import BDD_SPLITS as SPLITS

    parser = commands.add_parser(
        "detect",
        help="train and evaluate one detector of Table 4 (COCO) or 5 (BDD100k); torchrun for several GPUs",
        **_FORMAT,
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
    _add_run_options(parser)
    parser.add_argument("--data-root", help="COCO or BDD100k root (default $ATTNLIB_COCO / $ATTNLIB_BDD100K)")
    parser.add_argument("--coco-layout", choices=COCO_LAYOUTS)
    parser.add_argument("--augmentation", choices=AUGMENTATIONS, help="training transforms (default per table)")
    parser.add_argument(
        "--image-size",
        type=positive_int,
        help="SSD's square input, Faster R-CNN's shorter side, in pixels (default per table and profile)",
    )
    parser.set_defaults(handler=_detect)


def _add_reproduce(commands: Any) -> None:
    from attnlib.names import ASSUMED_TMACS, LAUNCHERS, TABLES
    from attnlib.profiles import PROFILES

    parser = commands.add_parser(
        "reproduce",
        help="plan, estimate, launch (local, torchrun, SLURM), resume and aggregate every run of one table",
        **_FORMAT,
    )
    parser.add_argument("table", choices=TABLES)
    parser.add_argument("--profile", default="default", choices=PROFILES)
    parser.add_argument("--plan", action="store_true", help="only list the runs, their state and the estimate")
    parser.add_argument("--aggregate", action="store_true", help="only print the table from the finished runs")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="PATTERN", help="runs whose key matches, e.g. cifar100/se"
    )
    parser.add_argument("--seeds", type=non_negative_int, nargs="+", help="Tables 1-2: these seeds")
    parser.add_argument("--launcher", default="local", choices=LAUNCHERS)
    parser.add_argument("--dry-run", action="store_true", help="print what would be launched, launch nothing")
    parser.add_argument("--max-runs", type=positive_int, help="launch at most this many runs this time")
    parser.add_argument("--runs", help="run folders' root (default data/checkpoints, where attnlib train puts them)")
    parser.add_argument("--gpus", type=positive_int, default=1, help="GPUs (processes) per run: torchrun, slurm")
    parser.add_argument("--partition", help="slurm: partition")
    parser.add_argument("--cpus-per-gpu", type=positive_int, default=8, help="slurm: CPUs per task")
    parser.add_argument("--time", type=positive_int, default=24 * 60, help="slurm: minutes per task")
    parser.add_argument("--logs", help="slurm: submitit's log folder (default data/runs/slurm/<table>)")
    parser.add_argument("--slurm-cluster", choices=("local",), help="slurm: 'local' runs the job array on this machine")
    parser.add_argument("--wait", action="store_true", help="slurm: wait for the jobs, then aggregate")
    parser.add_argument(
        "--tmacs", type=positive_float, default=ASSUMED_TMACS, help="assumed training TMAC/s per GPU for estimates"
    )
    parser.add_argument("--commit", action="store_true", help="write each finished run's record to data/results/")
    parser.add_argument("--run", help=argparse.SUPPRESS)  # one run: what torchrun and SLURM tasks execute
    parser.set_defaults(handler=_reproduce)


def _add_notebooks(commands: Any) -> None:
    from attnlib.names import NOTEBOOKS
    from attnlib.profiles import PROFILES

    notebook = commands.add_parser("notebook", help="execute one notebook with papermill", **_FORMAT)
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

    notebooks = commands.add_parser("notebooks", help="execute all notebooks, reporting each", **_FORMAT)
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


def _data(args: argparse.Namespace) -> int:
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


def _add_data(commands: Any) -> None:
    parser = commands.add_parser(
        "data",
        help="fetch and check a dataset that can be had offline (Fashion-MNIST: Debian's package or torchvision)",
        **_FORMAT,
    )
    parser.add_argument("dataset", choices=("fashion-mnist",))
    parser.add_argument(
        "--from", dest="source", help="a dataset-fashion-mnist .deb or a folder with the four .gz files to copy"
    )
    parser.add_argument("--destination", help="where to put the files (default data/datasets/fashion-mnist)")
    parser.add_argument(
        "--if-possible", action="store_true", help="warn instead of failing when it cannot be fetched (make book)"
    )
    parser.set_defaults(handler=_data)


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

    parser = argparse.ArgumentParser(prog="attnlib", description=__doc__, **_FORMAT)
    parser.add_argument("--version", action="version", version=f"attnlib {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_complexity,
        _add_advise,
        _add_bench,
        _add_train,
        _add_detect,
        _add_reproduce,
        _add_data,
        _add_notebooks,
    ):
        add(commands)
    _help_for_every_default(parser)
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


if __name__ == "__main__":
    sys.exit(main())
