"""Beyond the paper — the study on real images: Table 1's, Fig. 4's and Table 3's questions on Fashion-MNIST.

CIFAR, ImageNet, COCO and BDD100k cannot be had on the machines that build the book; Fashion-MNIST
can (Debian's ``dataset-fashion-mnist``, :mod:`attnlib.train.fashion`). The campaign
(``attnlib reproduce fashion``) trains, per profile:

* **compare** — the baseline and the five modules × a basic and a bottleneck CIFAR ResNet × seeds
  (Table 1's question: is there a best module; do bottleneck networks gain more?);
* **deeper** — one deeper baseline of each block type (Sect. 4.3.1: does a module beat simply
  using a deeper ResNet?);
* **schedule** — the basic baseline trained twice as long: the evidence that the chosen schedule
  reaches the baseline's plateau (a short schedule would measure how fast a module converges);
* **retrofit** — Table 3's question: every module inserted into the trained basic baseline
  (seed 0 of *compare*), plain and with identity-init, fine-tuned with the paper's three schedules
  scaled to this pretraining's length, beside fine-tuning the baseline alone.

``paper`` runs the paper's CIFAR recipe (164 epochs, batch 128, lr 0.2, ×0.1 at epochs 81 and 122) on
all 60 000 images at 32² — a GPU's job. ``default`` is the CPU campaign whose records are committed;
its schedule was sized by measurement (see :data:`CPU_IMAGES_PER_S` and the chapter). ``smoke``
trains tiny networks on generated images, so the test book is the same on every machine.

The package, one concern a module: :mod:`.settings` (the campaigns and their runs), :mod:`.execution`
(training a run, its record and weights), :mod:`.finals` (finished runs as rows), :mod:`.statements`
(the paper's statements re-tested), :mod:`.tables` (the page's tables and sentences), :mod:`.costs`
(Fig. 4 for real) and :mod:`.live` (the page's small live run). Everything is re-exported here, so
``fashion.runs(...)`` reads as before; the statistics live in :mod:`attnlib.stats`.
"""

from __future__ import annotations

from attnlib.reproduce.claims import CANNOT_TELL, DOES_NOT_HOLD, HOLDS, NOT_TESTABLE
from attnlib.reproduce.fashion.costs import (
    COST_BATCHES,
    COST_ENGINES,
    LATENCY_EXPERIMENT,
    TRAIN_SETTINGS_EXPERIMENT,
    TRAIN_STEP_EXPERIMENT,
    cost_records,
    cost_table,
    cost_variants,
    deeper_tradeoff_statements,
    latency_experiment,
    measure_training_costs,
    settings_variants,
    tradeoff_points,
    training_settings_table,
    training_settings_text,
)
from attnlib.reproduce.fashion.execution import (
    PretrainedMissing,
    committed_records,
    execute,
    load_trained,
    matches_record,
    pretrained_state,
    run_folder,
    slug,
    weights_path,
)
from attnlib.reproduce.fashion.finals import (
    OUTLIER_STDS,
    all_committed_finals,
    committed_finals,
    final_row,
    flagged_runs,
    folder_finals,
    headline_campaign,
    learning_curves,
    run_hours,
)
from attnlib.reproduce.fashion.live import (
    LIVE,
    LIVE_MODULES,
    fashion_available,
    live_config,
    live_warning,
    run_live,
)
from attnlib.reproduce.fashion.settings import (
    CAMPAIGNS,
    CONVERGED,
    CONVERGED_EPOCHS,
    CPU_IMAGES_PER_S,
    CPU_PROCESSES,
    CPU_RATES_SOURCE,
    DEEPER_LABEL,
    DEFAULT_EPOCHS,
    DEFAULT_SUBSET,
    EXPERIMENT,
    FP32_SLOWDOWN,
    PARTS,
    RECORD_KIND,
    SETTINGS,
    SHORT,
    SHORT_SETTINGS,
    SMOKE_BASE,
    FashionRun,
    FashionSettings,
    FinetuneSchedule,
    campaign_hours,
    cpu_hours,
    describe_runs,
    file_prefix,
    find_run,
    keeps_weights,
    module_label,
    network_name,
    paper_settings,
    pretrained_key,
    retrofit_rows,
    runs,
    scaled_finetune,
    scaled_milestones,
    settings_of,
)
from attnlib.reproduce.fashion.statements import (
    CHECKED_ON,
    DEPTH_DOES_NOT_PAY,
    PAPER_BLOCK_DIFFERENCE,
    PLATEAU_POINTS,
    Statement,
    best_module_statement,
    bottleneck_statement,
    chapter_statements,
    checked_on_text,
    deeper_statements,
    gain_verdicts,
    gains,
    paper_gains,
    plateau_statement,
    plateau_statements,
    regime_changes,
    retrofit_gains,
    retrofit_statements,
    statements_table,
    verdict_word,
)
from attnlib.reproduce.fashion.tables import (
    BUDGET_HOURS,
    DEEPER_ROW,
    checksum_display,
    checksum_table,
    comparison_table,
    data_text,
    gains_display,
    plateau_decision,
    progress_text,
    retrofit_table,
    schedule_text,
    throughput_table,
)
from attnlib.stats import interval_text, mean_interval, paired_gains, t_quantile


def page_warning(profile: str, settings: FashionSettings, hardware: str) -> str | None:
    """No page-wide warning: the headline is the committed campaign; the live run carries its own."""
    return None


__all__ = [
    "BUDGET_HOURS",
    "CAMPAIGNS",
    "CANNOT_TELL",
    "CHECKED_ON",
    "CONVERGED",
    "CONVERGED_EPOCHS",
    "COST_BATCHES",
    "COST_ENGINES",
    "CPU_IMAGES_PER_S",
    "CPU_PROCESSES",
    "CPU_RATES_SOURCE",
    "DEEPER_LABEL",
    "DEEPER_ROW",
    "DEFAULT_EPOCHS",
    "DEFAULT_SUBSET",
    "DEPTH_DOES_NOT_PAY",
    "DOES_NOT_HOLD",
    "EXPERIMENT",
    "FP32_SLOWDOWN",
    "HOLDS",
    "LATENCY_EXPERIMENT",
    "LIVE",
    "LIVE_MODULES",
    "NOT_TESTABLE",
    "OUTLIER_STDS",
    "PAPER_BLOCK_DIFFERENCE",
    "PARTS",
    "PLATEAU_POINTS",
    "RECORD_KIND",
    "SETTINGS",
    "SHORT",
    "SHORT_SETTINGS",
    "SMOKE_BASE",
    "TRAIN_SETTINGS_EXPERIMENT",
    "TRAIN_STEP_EXPERIMENT",
    "FashionRun",
    "FashionSettings",
    "FinetuneSchedule",
    "PretrainedMissing",
    "Statement",
    "all_committed_finals",
    "best_module_statement",
    "bottleneck_statement",
    "campaign_hours",
    "chapter_statements",
    "checked_on_text",
    "checksum_display",
    "checksum_table",
    "committed_finals",
    "committed_records",
    "comparison_table",
    "cost_records",
    "cost_table",
    "cost_variants",
    "cpu_hours",
    "data_text",
    "deeper_statements",
    "deeper_tradeoff_statements",
    "describe_runs",
    "execute",
    "fashion_available",
    "file_prefix",
    "final_row",
    "find_run",
    "flagged_runs",
    "folder_finals",
    "gain_verdicts",
    "gains",
    "gains_display",
    "headline_campaign",
    "interval_text",
    "keeps_weights",
    "latency_experiment",
    "learning_curves",
    "live_config",
    "live_warning",
    "load_trained",
    "matches_record",
    "mean_interval",
    "measure_training_costs",
    "module_label",
    "network_name",
    "page_warning",
    "paired_gains",
    "paper_gains",
    "paper_settings",
    "plateau_decision",
    "plateau_statement",
    "plateau_statements",
    "pretrained_key",
    "pretrained_state",
    "progress_text",
    "regime_changes",
    "retrofit_gains",
    "retrofit_rows",
    "retrofit_statements",
    "retrofit_table",
    "run_folder",
    "run_hours",
    "run_live",
    "runs",
    "scaled_finetune",
    "scaled_milestones",
    "schedule_text",
    "settings_of",
    "settings_variants",
    "slug",
    "statements_table",
    "t_quantile",
    "throughput_table",
    "tradeoff_points",
    "training_settings_table",
    "training_settings_text",
    "verdict_word",
    "weights_path",
]
