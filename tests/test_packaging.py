"""A lean library (issue 22, item 3): the modules and networks on torch and torchvision alone, commands
that name the extra they need, torch.hub, the wheel's and sdist's metadata, one version, the release
workflow."""

from __future__ import annotations

import email
import importlib.metadata as metadata
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import torch

import attnlib

ROOT = Path(__file__).resolve().parents[1]


def _closure(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` need (their Requires-Dist, extras left out), and CUDA's."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = re.split(r"[ ;<>=!\[~(]", todo.pop())[0].strip().lower().replace("_", "-")
        if not name or name in found:
            continue
        try:
            found[name] = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        todo += [r for r in found[name].requires or [] if "extra ==" not in r]
    for dist in metadata.distributions():  # the CUDA runtime torch's build loads, whatever its markers
        if dist.metadata["Name"].lower().startswith(("nvidia-", "cuda-")):
            found.setdefault(dist.metadata["Name"].lower(), dist)
    return found


@pytest.fixture(scope="module")
def core_site(tmp_path_factory) -> Path:
    """A site folder holding only torch, torchvision and what they require (links to the installed
    files): a core install of attnlib, without creating a venv of several GB."""
    site = tmp_path_factory.mktemp("core-site")
    for dist in _closure(["torch", "torchvision"]).values():
        base = Path(dist.locate_file(""))
        for top in {file.parts[0] for file in dist.files or []}:
            if top in ("..", "__pycache__") or (site / top).exists() or not (base / top).exists():
                continue
            (site / top).symlink_to(base / top)
    assert not (site / "pandas").exists() and (site / "torch").exists()
    return site


def _core_python(site: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` with the core site and this checkout only (-S: no site-packages, -I-like isolation)."""
    environment = {"PYTHONPATH": f"{site}:{ROOT}", "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, env=environment, timeout=300
    )


def test_the_modules_and_every_network_need_only_torch_and_torchvision(core_site: Path) -> None:
    code = """
import sys, torch, torchvision
from attnlib import attention, build_model, retrofit
from attnlib.complexity import count_model
for name in attention.available():
    assert attention.create(name, 16)(torch.randn(2, 16, 4, 4)).shape == (2, 16, 4, 4)
for depth in (18, 34, 50, 101, 152):
    build_model(f"resnet{depth}", attention="se")
for depth, block in ((20, "basic"), (29, "bottleneck")):
    build_model(f"cifar_resnet{depth}", attention="eca", block=block, in_channels=1)
retrofit(torchvision.models.resnet18(), "srm", identity_init=True)
assert count_model("resnet18", "ab").macs > 0
print(sorted(m for m in ("pandas", "matplotlib", "seaborn", "tqdm", "timm") if m in sys.modules))
"""
    completed = _core_python(core_site, code)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("arguments", "extra"),
    [(["bench", "--model", "resnet18", "--trials", "1"], "bench"), (["notebook", "fig2_complexity"], "book")],
)
def test_a_command_whose_extra_is_missing_names_it_in_one_line(
    core_site: Path, arguments: list[str], extra: str
) -> None:
    completed = _core_python(core_site, f"import sys\nfrom attnlib.cli import main\nsys.exit(main({arguments!r}))")
    assert completed.returncode == 2, completed.stderr[-2000:]
    line = completed.stderr.strip().splitlines()[-1]
    assert f"pip install 'attnlib[{extra}]'" in line and "Traceback" not in completed.stderr


def test_torch_hub_loads_the_networks_from_a_local_clone(one_thread: None) -> None:
    network = torch.hub.load(str(ROOT), "resnet50", source="local", attention="eca", trust_repo=True)
    assert len(network.attention_modules()) == 16
    assert type(network.attention_modules()[0]).__name__ == "EfficientChannelAttention"
    cifar = torch.hub.load(str(ROOT), "cifar_resnet", source="local", depth=20, attention="ab", trust_repo=True)
    assert cifar(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_the_version_is_stated_once(capsys: pytest.CaptureFixture) -> None:
    from attnlib.cli import main

    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and "\nversion =" not in pyproject.split("[tool.setuptools.dynamic]")[0]
    assert not re.search(r"^version:", (ROOT / "CITATION.cff").read_text(), flags=re.MULTILINE)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"attnlib {attnlib.__version__}"
    assert f"## {attnlib.__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_the_wheel_and_sdist_build_with_complete_metadata(tmp_path: Path) -> None:
    import shutil

    from setuptools import build_meta  # noqa: F401  (the build backend pyproject.toml names)

    source = tmp_path / "source"  # setuptools writes build/ and *.egg-info where it builds: not in the checkout
    shutil.copytree(ROOT / "attnlib", source / "attnlib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for kind in ("wheel", "sdist"):
        completed = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from setuptools import build_meta; print(build_meta.build_{kind}({str(tmp_path)!r}))",
            ],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
    wheel = next(tmp_path.glob("attnlib-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = email.message_from_bytes(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
    assert meta["Name"] == "attnlib" and meta["Version"] == attnlib.__version__
    assert meta["Summary"] and meta["Requires-Python"] == ">=3.11" and "Klomp" in (meta.get_payload() or "")
    core = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert core == ["torch", "torchvision"]
    assert {"train", "bench", "book", "cluster", "test", "all"} <= set(meta.get_all("Provides-Extra"))
    assert "attnlib/py.typed" in names and "attnlib/names.py" in names
    assert not any(n.startswith(("tests/", "notebooks/", "data/")) for n in names)
    sdist = next(tmp_path.glob("attnlib-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        assert any(n.endswith("/pyproject.toml") for n in archive.getnames())


def test_the_release_workflow_validates_against_githubs_workflow_schema() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (make setup installs it)")
    workflow = ROOT / ".github" / "workflows" / "release.yml"
    completed = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(workflow)], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    text = workflow.read_text()
    assert "id-token: write" in text and "pypa/gh-action-pypi-publish" in text and 'tags: ["v*"]' in text


@pytest.mark.book
def test_the_book_has_an_api_reference_generated_from_the_docstrings(smoke_site: Path) -> None:
    page = (smoke_site / "api.html").read_text()
    for name in ("attnlib.attention.create", "attnlib.attention.SqueezeExcitation", "attnlib.models.build_model",
                 "attnlib.models.retrofit", "attnlib.complexity.count_model", "attnlib.train.TrainConfig",
                 "attnlib.train.train", "attnlib.train.checkpoints.load_checkpoint"):  # fmt: skip
        assert f'id="{name}"' in page, name
    assert "in_channels" in page  # build_model's documented arguments are on the page
