"""The chapter's small live run: a few modules trained while the page is built, proving the pipeline
on the machine that builds it (too small to decide anything, and the page says so)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from attnlib.attention import display_name
from attnlib.profiles import PerProfile
from attnlib.reproduce.fashion.settings import SHORT_SETTINGS, SMOKE_BASE, network_name
from attnlib.train.config import TrainConfig

# The short campaign's recipe on ResNet-8, cut to 2 000 images and two epochs: seconds of a 2-core CPU.
_LIVE_DEFAULT = replace(
    SHORT_SETTINGS.default.base,
    model="cifar_resnet8",
    train_subset=2_000,
    epochs=2,
    lr_milestones=(1,),
    eval_every=2,
)
LIVE: PerProfile[TrainConfig] = PerProfile(
    smoke=SMOKE_BASE, default=_LIVE_DEFAULT, paper=replace(_LIVE_DEFAULT, profile="paper")
)
"""The live run per profile: generated images at smoke, 2 000 real images for two epochs otherwise."""


LIVE_MODULES = ("baseline", "eca", "se")


def fashion_available() -> bool:
    """Whether a checked copy of Fashion-MNIST is on this machine (the live run uses it then)."""
    from attnlib.train import fashion as fashion_data

    return fashion_data.available()


def live_config(profile: str) -> TrainConfig:
    """The live run's settings: real Fashion-MNIST when present (never at ``smoke``), else generated images."""
    config = LIVE.get(profile)
    if config.dataset == "fashion-mnist" and not fashion_available():
        return replace(
            config, dataset="synthetic-cifar", input_size=None, train_subset=None, synthetic_size=(2_000, 1_000)
        )
    return config


def live_warning(config: TrainConfig, hardware: str) -> str:
    """The loud warning above the live run: too small to decide anything, and which data it used."""
    from attnlib.reproduce.common import synthetic_data_warning

    if config.dataset == "fashion-mnist":
        return (
            ":::{warning}\n**A live run too small to decide anything.** "
            f"{network_name(config.model, config.block)} trained for {config.epochs} epochs on "
            f"{config.train_subset} real Fashion-MNIST images "
            f"while this page was built on {hardware}, one seed: it shows the pipeline runs on the real images. "
            "The campaign's committed records above are the result.\n:::"
        )
    reason = (
        "the smoke profile always trains on generated images, so the test book is the same on every machine"
        if config.profile == "smoke"
        else "Fashion-MNIST is not on this machine (`make data` fetches it)"
    )
    return synthetic_data_warning(
        "a pipeline check, not a result",
        f"{reason}: {network_name(config.model, config.block)} trained on **generated** images for "
        f"{config.epochs} epoch(s) on {hardware}.",
    )


def run_live(config: TrainConfig, modules: tuple[str, ...] = LIVE_MODULES) -> pd.DataFrame:
    """Train ``config`` once per module in a temporary folder; final top-1/top-5 and images/s per module."""
    import tempfile
    from pathlib import Path

    from attnlib.train import train

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for module in modules:
            run = replace(config, attention=module, output=str(Path(scratch) / module))
            result = train(run, progress=False)
            last = result.final
            speed = pd.Series([h["images_per_s"] for h in result.history]).median()
            rows.append(
                {
                    "module": display_name(module),
                    "top-1 (%)": f"{last['top1']:.2f}",  # text: a float column shows as 8.330000
                    "top-5 (%)": f"{last['top5']:.2f}",
                    "training images/s": round(float(speed)),
                }
            )
    return pd.DataFrame(rows)
