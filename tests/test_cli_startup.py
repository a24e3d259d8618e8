"""The command line answers at once (issue 23, item 5): ``--help`` and argument errors import nothing
heavy, and the light name lists it offers as choices match the registries that own them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from attnlib import names

HEAVY = ("torch", "torchvision", "pandas", "numpy", "matplotlib")
SUBCOMMANDS = ("complexity", "bench", "train", "detect", "reproduce", "data", "notebook", "notebooks")


def _imported_after(arguments: list[str]) -> tuple[int, list[str], str]:
    """Run ``attnlib.cli.main(arguments)`` in a fresh interpreter; its exit status, the heavy modules it
    imported, and what it wrote to stderr."""
    code = (
        "import sys\nfrom attnlib.cli import main\n"
        f"try:\n    status = main({arguments!r})\nexcept SystemExit as exit:\n    status = exit.code\n"
        f"print(status, [m for m in {HEAVY!r} if m in sys.modules])"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    status, modules = completed.stdout.strip().splitlines()[-1].split(" ", 1)
    return int(status), eval(modules), completed.stderr


@pytest.mark.parametrize("arguments", [["--help"], *([command, "--help"] for command in SUBCOMMANDS)])
def test_help_imports_nothing_heavy(arguments: list[str]) -> None:
    status, modules, _ = _imported_after(arguments)
    assert status == 0 and modules == []


def test_an_argument_error_is_one_line_before_anything_heavy() -> None:
    status, modules, error = _imported_after(["train", "--dataset", "mnist"])
    assert status == 2 and modules == []
    assert "invalid choice: 'mnist'" in error.strip().splitlines()[-1]


def test_the_light_name_lists_match_their_registries() -> None:
    from attnlib.attention import BASELINE, available, compared
    from attnlib.bench.engines import ENGINES, PRECISIONS
    from attnlib.notebooks import NOTEBOOKS
    from attnlib.reproduce.presets import PRESETS
    from attnlib.train import DATASETS

    assert available() == names.MODULES and compared() == names.COMPARED and BASELINE == names.BASELINE
    assert tuple(ENGINES) == names.ENGINES and tuple(PRECISIONS) == names.PRECISIONS
    assert tuple(PRESETS) == names.PRESETS and DATASETS == names.TRAIN_DATASETS
    assert NOTEBOOKS == names.NOTEBOOKS


def test_the_package_builders_are_still_one_attribute_away() -> None:
    import attnlib

    assert attnlib.build_model("cifar_resnet8").fc.out_features == 10
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        attnlib.nothing  # noqa: B018


def test_building_counting_and_training_do_not_import_torchvision() -> None:
    """torchvision costs ~2 s a process (every command, notebook kernel, DDP worker): it is imported
    only where a torchvision dataset, detector or ResNet is built (not to record its version), and
    ``retrofit`` stays importable."""
    code = (
        "import sys\n"
        "import attnlib.models, attnlib.complexity, attnlib.plots, attnlib.train.loop, attnlib.reproduce.fashion\n"
        "from attnlib import build_model\n"
        "build_model('cifar_resnet8', attention='se')\n"
        "from attnlib.provenance import provenance\n"
        "recorded = provenance('smoke')['torchvision']\n"
        "print('torchvision' in sys.modules)\n"
        "from attnlib.models import retrofit, load_pretrained\n"
        "import attnlib\n"
        "print(callable(retrofit) and attnlib.retrofit is retrofit and callable(load_pretrained))\n"
        "print(recorded)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    import torchvision

    # a record still names torchvision's exact version (with its local part, e.g. +cu130)
    assert completed.stdout.split() == ["False", "True", torchvision.__version__], completed.stderr[-2000:]


def test_a_torchvision_without_version_py_is_named_from_its_metadata_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata
    import importlib.util
    import sys
    import types

    from attnlib.provenance import torchvision_version

    monkeypatch.delitem(sys.modules, "torchvision", raising=False)  # not loaded yet
    spec = types.SimpleNamespace(submodule_search_locations=[str(tmp_path)])  # a build with no version.py
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    expected = importlib.metadata.version("torchvision") + " (from package metadata)"
    assert torchvision_version() == expected
    (tmp_path / "version.py").write_text("__version__ = '9.9.9+local'\n")
    assert torchvision_version() == "9.9.9+local"
