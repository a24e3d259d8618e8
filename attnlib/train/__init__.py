"""Training: datasets, the checkpointed (optionally distributed) loop, tasks and run records.

The paper's schedules per profile live in :mod:`attnlib.reproduce.training`; this package trains
whatever :class:`TrainConfig` it is given.
"""

from attnlib.train.config import TrainConfig
from attnlib.train.data import DATASETS, DatasetNotFound, SyntheticImages, load_dataset
from attnlib.train.loop import InterleavedBatchSampler, TrainResult, train
from attnlib.train.records import aggregate_seeds, final_epochs, paper_runs, write_training_record
from attnlib.train.task import ClassificationTask, Task, evaluate, task_of, topk_correct

__all__ = [
    "DATASETS",
    "ClassificationTask",
    "DatasetNotFound",
    "InterleavedBatchSampler",
    "SyntheticImages",
    "Task",
    "TrainConfig",
    "TrainResult",
    "aggregate_seeds",
    "evaluate",
    "final_epochs",
    "load_dataset",
    "paper_runs",
    "task_of",
    "topk_correct",
    "train",
    "write_training_record",
]
