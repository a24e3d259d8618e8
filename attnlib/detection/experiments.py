"""Tables 4 and 5 as functions the notebooks and the CLI call.

Table 4 (COCO, Faster R-CNN + FPN, ResNet-50): each module twice — backbone and modules from the
module network's own ImageNet run ("pretrained"), or a baseline ImageNet backbone with freshly
initialised modules ("scratch"). ``paper`` reads the Table 2 checkpoints and trains MMDetection's
1× schedule on COCO; ``default``/``smoke`` pretrain ResNet-50s briefly on generated images (cached)
and train a few iterations on generated COCO-format data.

Table 5 (BDD100k, SSD512 Root-ResNet-34 from scratch): every module on split ``all``; every module,
IBN-b, style-adversarial training, AB + IBN and SE + IBN on split ``day_night``. ``paper`` trains
20 epochs on BDD100k; ``default``/``smoke`` train a few iterations on a generated BDD-format set.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from attnlib.attention import available, display_name
from attnlib.detection.task import DetectionConfig
from attnlib.results import provenance, read_records, write_record
from attnlib.train.config import TrainConfig, profile_config
from attnlib.train.loop import TrainResult, train, train_cached

MODULES = ("baseline", *available())
TABLE4_INITS = ("pretrained", "scratch")
# Table 5's rows: (split, module, method), in the paper's order.
TABLE5_ROWS = (
    *(("all", m, None) for m in MODULES),
    *(("day_night", m, None) for m in MODULES),
    ("day_night", "baseline", "style_adversarial"),
    ("day_night", "baseline", "ibn"),
    ("day_night", "ab", "ibn"),
    ("day_night", "se", "ibn"),
)
# Cheaper RPN/ROI sampling for the CPU profiles (torchvision defaults: 2000/2000, 512, 256).
LIGHT_FASTER_RCNN = (
    ("rpn_pre_nms_top_n_train", 300),
    ("rpn_post_nms_top_n_train", 100),
    ("rpn_pre_nms_top_n_test", 300),
    ("rpn_post_nms_top_n_test", 100),
    ("box_batch_size_per_image", 64),
    ("rpn_batch_size_per_image", 64),
)


@dataclass(frozen=True)
class DetectionSettings:
    """One table at one profile: the detection run template, the pretraining (Table 4) and rows."""

    detection: DetectionConfig
    pretrain: TrainConfig | None
    rows: tuple[tuple, ...]
    scaled: bool


def table4_settings(profile: str) -> DetectionSettings:
    """Table 4 at ``profile`` (``paper``: COCO 2017 = minival protocol, MMDetection's 1× schedule)."""
    rows = tuple((m, init) for init in TABLE4_INITS for m in MODULES)
    if profile == "paper":
        detection = DetectionConfig(
            dataset="coco",
            model="faster_rcnn_resnet50",
            epochs=12,
            batch_size=16,
            lr=0.02,
            lr_milestones=(8, 11),
            weight_decay=1e-4,
            warmup_iterations=500,
            image_size=800,
            augmentation="flip",
            device="cuda",
            workers=8,
            profile="paper",
        )
        return DetectionSettings(detection, profile_config("paper", "imagenet", "resnet50", None), rows, False)
    small = profile == "smoke"
    pretrain = profile_config(
        profile,
        "synthetic-imagenet",
        "resnet50",
        None,
        epochs=1,
        batch_size=16 if small else 32,
        lr_milestones=(),
        synthetic_size=(32, 16) if small else (256, 64),
    )
    detection = DetectionConfig(
        dataset="synthetic-coco",
        model="faster_rcnn_resnet50",
        epochs=1,
        batch_size=4,
        lr=0.01,
        lr_milestones=(),
        warmup_iterations=4,
        image_size=96 if small else 128,
        synthetic_size=(8, 4) if small else (48, 16),
        detector_options=LIGHT_FASTER_RCNN,
        # An epoch of pretraining leaves BatchNorm's running statistics unsettled; frozen, they blow up.
        freeze_batchnorm=False,
        profile=profile,
    )
    if small:
        rows = tuple((m, init) for init in TABLE4_INITS for m in ("baseline", "se"))
    return DetectionSettings(detection, pretrain, rows, True)


def table5_settings(profile: str) -> DetectionSettings:
    """Table 5 at ``profile`` (``paper``: BDD100k, SSD512, 20 epochs with ScratchDet's settings)."""
    if profile == "paper":
        detection = DetectionConfig(
            dataset="bdd100k",
            model="ssd512_resnet34",
            epochs=20,
            batch_size=128,
            lr=0.05,
            lr_milestones=(14, 18),
            weight_decay=5e-4,
            warmup_iterations=1000,
            image_size=512,
            augmentation="ssd",
            device="cuda",
            workers=8,
            profile="paper",
        )
        return DetectionSettings(detection, None, TABLE5_ROWS, False)
    small = profile == "smoke"
    detection = DetectionConfig(
        dataset="synthetic-bdd100k",
        model="ssd512_resnet34",
        epochs=1,
        batch_size=8,
        lr=0.01,
        lr_milestones=(),
        weight_decay=5e-4,
        warmup_iterations=4,
        image_size=64,
        augmentation="flip",
        synthetic_size=(16, 12) if small else (48, 24),
        profile=profile,
    )
    rows = TABLE5_ROWS
    if small:
        rows = (("all", "baseline", None), ("day_night", "ab", None), ("day_night", "se", "ibn"))
        rows += (("day_night", "baseline", "style_adversarial"),)
    return DetectionSettings(detection, None, rows, True)


def backbone_checkpoint(settings: DetectionSettings, module: str, cache: Path) -> Path:
    """The ImageNet checkpoint of ``module``'s ResNet (``baseline`` for the scratch rows).

    ``paper``: Table 2's run of that network (``data/checkpoints/imagenet-resnet50-<module>-…``),
    which must exist. Otherwise a short cached pretraining on generated images.
    """
    config = replace(settings.pretrain, attention=None if module == "baseline" else module)
    if config.dataset == "imagenet":
        return config.run_dir() / "checkpoint.pt"
    return train_cached(config, cache).checkpoint


def table4_config(settings: DetectionSettings, module: str, init: str, cache: Path) -> DetectionConfig:
    """The detection run of one Table 4 cell, with its backbone checkpoint resolved."""
    weights = backbone_checkpoint(settings, module if init == "pretrained" else "baseline", cache)
    attention = None if module == "baseline" else module
    return replace(settings.detection, attention=attention, init=init, backbone_weights=str(weights))


def table5_config(settings: DetectionSettings, split: str, module: str, method: str | None) -> DetectionConfig:
    """The detection run of one Table 5 row."""
    return replace(settings.detection, attention=None if module == "baseline" else module, split=split, method=method)


def write_detection_record(config: DetectionConfig, result: TrainResult, committed: bool = False) -> Path:
    """One row per epoch (AP, AP50, loss…) under ``data/runs/detection/`` (``data/results/`` if
    ``committed``), with provenance and config."""
    history = pd.DataFrame(result.history).assign(run=config.run_name)
    record = provenance(config.profile, config=config.as_dict(), **result.dataset)
    return write_record("detection", config.run_name, history, record, committed=committed)


def _run(config: DetectionConfig, output: Path | None, save_records: bool) -> dict[str, object]:
    """Train (or resume, or just reload) one run; ``output=None`` keeps ``data/checkpoints/<run name>``."""
    if output is not None:
        config = replace(config, output=str(output / config.run_name))
    result = train(config, progress=False, resume=True)
    if save_records:
        write_detection_record(config, result)
    last = result.final
    return {
        "AP": last["AP"],
        "AP50": last["AP50"],
        "epochs": last["epoch"] + 1,
        "train_images": result.dataset["train_size"],
        "val_images": result.dataset["val_size"],
        "train_loss": last["train_loss"],
    }


def _output(settings: DetectionSettings, output: Path | None, scratch: str) -> Path | None:
    """Offline profiles train into a temporary folder; ``paper`` into ``data/checkpoints/<run name>``,
    where ``attnlib detect`` runs of the same cell are found and reused (finished) or resumed."""
    if output is not None:
        return Path(output)
    return Path(scratch) if settings.scaled else None


def run_table4(
    profile: str, rows: tuple | None = None, output: Path | None = None, save_records: bool = False
) -> pd.DataFrame:
    """Train every Table 4 cell of ``profile``; one row per (module, initialization) with AP and AP50.

    Pretrainings are cached in ``data/checkpoints/table4-<profile>`` (ignored by git); detection
    checkpoints go to ``output`` — by default a temporary folder offline and, at ``paper``, each
    run's ``data/checkpoints/<run name>``, so runs made with ``attnlib detect`` are reused.
    """
    from attnlib.paper import data_root

    settings = table4_settings(profile)
    cache = data_root() / "checkpoints" / f"table4-{profile}"
    results, baseline = [], None
    with tempfile.TemporaryDirectory() as scratch:
        for module, init in rows or settings.rows:
            # Both initialisations of the baseline are the same network (the paper repeats its row).
            if module == "baseline" and baseline is not None:
                results.append({**baseline, "initialization": init})
                continue
            config = table4_config(settings, module, init, cache)
            row = {
                "module": module,
                "initialization": init,
                **_run(config, _output(settings, output, scratch), save_records),
            }
            baseline = row if module == "baseline" else baseline
            results.append(row)
    return pd.DataFrame(results)


def run_table5(
    profile: str, rows: tuple | None = None, output: Path | None = None, save_records: bool = False
) -> pd.DataFrame:
    """Train every Table 5 row of ``profile``; one row per (split, module, method) with AP@0.5."""
    settings = table5_settings(profile)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for split, module, method in rows or settings.rows:
            config = table5_config(settings, split, module, method)
            row = {
                "split": split,
                "module": module,
                "method": method or "",
                **_run(config, _output(settings, output, scratch), save_records),
            }
            results.append(row)
    return pd.DataFrame(results)


def table5_method_name(module: str, method: str | None) -> str:
    """The paper's row label: ``AB``, ``IBN``, ``AB + IBN``, ``Style-adversarial``…"""
    names = {"ibn": "IBN", "style_adversarial": "Style-adversarial"}
    if not method:
        return display_name(module)
    return names[method] if module == "baseline" else f"{display_name(module)} + {names[method]}"


def table4_layout(ours: pd.DataFrame, paper_table4: pd.DataFrame) -> pd.DataFrame:
    """Rows: module; columns: (initialization, AP50/AP) for the paper and for this run, side by side."""
    paper = paper_table4.rename(columns={"initialization": "init", "ap50": "AP50", "ap": "AP"}).assign(source="paper")
    mine = ours.rename(columns={"initialization": "init"}).assign(source="ours")
    data = pd.concat(
        [paper[["module", "init", "AP50", "AP", "source"]], mine[["module", "init", "AP50", "AP", "source"]]]
    )
    data["Module"] = data.module.map(display_name)
    order = [display_name(m) for m in MODULES]
    wide = data.pivot_table(index="Module", columns=["init", "source"], values=["AP50", "AP"], aggfunc="first")
    wide = wide.reorder_levels([1, 0, 2], axis=1)
    columns = [(i, m, s) for i in TABLE4_INITS for m in ("AP50", "AP") for s in ("paper", "ours") if (i, m, s) in wide]
    return wide[columns].reindex([m for m in order if m in wide.index])


def table5_layout(ours: pd.DataFrame, paper_table5: pd.DataFrame) -> pd.DataFrame:
    """Rows: the paper's methods; columns: AP@0.5 on ``all`` and ``day_night``, paper beside ours."""
    paper_rows = []
    for item in paper_table5.itertuples():
        module, method = item.method, None
        if item.method in ("style_adversarial", "ibn"):
            module, method = "baseline", item.method
        elif item.method.endswith("+ibn"):
            module, method = item.method.split("+")[0], "ibn"
        paper_rows.append(
            {"Method": table5_method_name(module, method), "split": item.split, "source": "paper", "AP50": item.ap50}
        )
    mine = [
        {"Method": table5_method_name(r.module, r.method or None), "split": r.split, "source": "ours", "AP50": r.AP50}
        for r in ours.itertuples()
    ]
    data = pd.DataFrame(paper_rows + mine)
    wide = data.pivot_table(index="Method", columns=["split", "source"], values="AP50", aggfunc="first")
    order = list(dict.fromkeys(r["Method"] for r in paper_rows))
    columns = [(split, s) for split in ("all", "day_night") for s in ("paper", "ours") if (split, s) in wide]
    return wide[columns].reindex([m for m in order if m in wide.index])


def gains_over_baseline(layout: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a Table 4/5 layout minus the Baseline row's cell of the same column (points)."""
    return layout.drop(index="Baseline") - layout.loc["Baseline"]


def detection_records(dataset: str | None = None) -> pd.DataFrame:
    """The final epoch of every committed detection run record (of ``dataset``), with its provenance."""
    rows = []
    for table, record in read_records("detection"):
        last = table.iloc[-1].to_dict()
        config = record.get("config") or {}
        if dataset is not None and config.get("dataset") != dataset:
            continue
        rows.append(
            {
                "run": last.get("run"),
                "AP": last.get("AP"),
                "AP50": last.get("AP50"),
                "epochs": int(last.get("epoch", -1)) + 1,
                "profile": record.get("profile"),
                "hardware": record.get("gpu") or record.get("cpu"),
                "date": record.get("date"),
                "commit": str(record.get("git_commit"))[:10],
                "dataset": config.get("dataset"),
            }
        )
    return pd.DataFrame(rows)
