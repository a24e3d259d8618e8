"""Training: datasets, the paper's schedules, the checkpointed (optionally distributed) loop, records."""

from attnlib.train.config import PROFILES, TrainConfig, paper_config, profile_config
from attnlib.train.data import DATASETS, DatasetNotFound, SyntheticImages, load_dataset
from attnlib.train.loop import InterleavedBatchSampler, TrainResult, evaluate, topk_correct, train
from attnlib.train.records import aggregate_seeds, final_epochs, write_training_record

__all__ = [
    "DATASETS",
    "PROFILES",
    "DatasetNotFound",
    "InterleavedBatchSampler",
    "SyntheticImages",
    "TrainConfig",
    "TrainResult",
    "aggregate_seeds",
    "evaluate",
    "final_epochs",
    "load_dataset",
    "paper_config",
    "profile_config",
    "topk_correct",
    "train",
    "write_training_record",
]
