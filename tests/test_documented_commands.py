"""Every command in the README and the book's guide runs as written (issue 10, item 2).

The fenced ``bash`` and ``python`` blocks of ``README.md``, ``book/guide.md`` and ``CONTRIBUTING.md`` are extracted and
executed. Shell commands run in a scratch copy of the checkout (its ``.venv`` linked to ours, its
``attnlib`` first on ``PYTHONPATH``) so that nothing they write touches this tree. Each command must
match exactly one entry of :data:`EXPECTED`, which says how it is sized down for the tests (the
only rewrites allowed: fewer trials, smaller images, fewer modules or engines, a smaller profile, one process instead of
``torchrun``, a dry run of the two top-level ``make`` targets that the rest of the suite runs and of
a launcher that needs GPUs) and
what it must do: succeed, or — where it needs data, a GPU or executed notebooks that a test machine
lacks — fail with its one clear error, exit status 2 and no traceback.

The plain ``.venv/bin/attnlib …`` commands run in processes forked from one that imported torch once
(``tests/forkserver.py``): the same words, environment and folder, a process each, ~4 s of imports
less per command; the rest run through ``bash -c``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from tests.forkserver import SCRIPT, ForkServer, forkable

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "book/guide.md", "CONTRIBUTING.md")


@dataclass(frozen=True)
class Expectation:
    """How one documented command is run in the tests and what it must do."""

    pattern: str  # regex that identifies the command
    rewrites: tuple[tuple[str, str], ...] = ()  # (regex, replacement): smoke sizing, applied in order
    error: str | None = None  # None: exit 0; else the clear error (regex) it must end with, exit != 0


NOT_HERE = r"not found|no CUDA GPU"  # a dataset absent from the test machine, or no GPU
TORCHRUN = (r"\.venv/bin/torchrun --nproc_per_node 8 -m attnlib\.cli", ".venv/bin/attnlib")
EXPECTED = (
    Expectation(r"^make book$", ((r"^make book$", "make -n book"),)),  # tests/test_book.py runs it at smoke
    Expectation(r"^make test$", ((r"^make test$", "make -n test"),)),  # this very suite
    Expectation(r"^make lint$", ((r"^make lint$", "make -n lint"),)),  # tests/test_project.py runs ruff itself
    Expectation(r"python -m pytest tests/test_attention\.py -q -k"),  # one test, as CONTRIBUTING.md shows
    # tests/test_fashion_data.py runs `make data` on a folder (with the real files where the machine has them)
    Expectation(r"^make data$", ((r"^make data$", "make -n data"),)),
    Expectation(
        r"attnlib train --dataset fashion-mnist",
        ((r"$", " --epochs 1 --data-root /nonexistent"),),
        error=r"Fashion-MNIST not found",
    ),
    Expectation(r"attnlib reproduce fashion --plan$"),
    Expectation(r"attnlib reproduce fashion --dry-run --hours 2\.5$"),
    Expectation(
        r"attnlib reproduce fashion --commit$",
        (("--commit", "--profile smoke --only compare/cifar_resnet8-basic/ab/seed0 --commit"),),
    ),
    Expectation(r"attnlib bench fashion --commit$", (("--commit", "--dry-run"),)),
    # the Fashion chapter at smoke (its live run on generated images), reading the converged campaign
    Expectation(r"attnlib notebook beyond_fashion_mnist -p campaign_shown converged$", ((r"$", " --profile smoke"),)),
    Expectation(r"^make notebook NB=fig2_complexity", (("-p profile paper", "-p profile smoke"),)),
    Expectation(r"attnlib notebook fig2_complexity -p depths", (("-p resolution 320", "-p resolution 64"),)),
    Expectation(r"jupyter-book build book -W$", error=r"the book cannot be built"),
    Expectation(r"attnlib complexity "),
    Expectation(
        r"attnlib bench --model resnet50 --attention",
        # the baseline and SE on every engine of the line: each further module only repeats the same path
        (
            ("resnet50", "resnet18"),
            ("--attention baseline ab eca se srm multise", "--attention baseline se"),
            ("--resolution 224", "--resolution 32"),
            ("--trials 200", "--trials 2"),
        ),
    ),
    # SE alone: its three implementations (attnlib, plain, timm) still run; every module would cost ~30 s.
    Expectation(
        r"attnlib bench modules", ((r"$", " --model resnet18 --resolution 32 --trials 2 --warmup 1 --attention se"),)
    ),
    Expectation(
        r"attnlib advise --model resnet50",
        (("resnet50", "cifar_resnet8 --resolution 8 --engine eager --budget 0.05 --width 1000"),),
    ),
    Expectation(r"attnlib bench --preset gpu(-compile)? --budget", error=r"no CUDA GPU"),
    Expectation(r"attnlib bench --preset gpu(-compile)? --dry-run"),  # every step at 32², 2 trials, on the CPU
    Expectation(r"attnlib bench zoo", (("--profile paper", "--profile smoke"),)),  # ResNet-18, 64², eager
    # OpenVINO alone: fp32 then int8 at 32² (tests/test_int8.py checks the compile engine's int8)
    Expectation(r"attnlib bench int8 --commit", (("--commit", "--dry-run --engine openvino --threads 1"),)),
    Expectation(r"attnlib bench int8-accuracy --commit", (("--commit", "--dry-run"),)),
    Expectation(
        r"attnlib bench train --model cifar_resnet56",
        # the baseline and SE: every further module only repeats the same training step
        (("--batch-size 128", "--batch-size 4"), ("--trials 20", "--trials 2 --attention se")),
    ),
    Expectation(r"attnlib bench train --model resnet50 .*--device cuda", error=r"no CUDA GPU"),
    Expectation(
        r"attnlib train --dataset cifar100 .*--profile paper --download",
        (("--profile paper", "--profile smoke"), (" --download", "")),  # never download in a test
        error=r"cifar100 not found",
    ),
    Expectation(r"ATTNLIB_IMAGENET=\S+ .*train", (TORCHRUN,), error=NOT_HERE),
    Expectation(r"attnlib train --dataset synthetic-cifar", (("--profile default", "--profile smoke"),)),
    Expectation(r"ATTNLIB_COCO=\S+ .*detect --table 4", (TORCHRUN,), error=NOT_HERE),
    Expectation(r"ATTNLIB_BDD100K=\S+ .*detect --table 5", (TORCHRUN,), error=NOT_HERE),
    Expectation(r"attnlib detect --table 5 --dataset synthetic-bdd100k --profile smoke", ((r"$", " --image-size 32"),)),
    Expectation(r"attnlib reproduce table\d --profile paper --plan$"),
    Expectation(r"attnlib reproduce table1 --profile paper$", error=r"not found"),  # no CIFAR here
    Expectation(r"attnlib reproduce table2 .*--launcher torchrun", ((r"$", " --dry-run"),)),  # no GPUs here
    Expectation(r"attnlib reproduce table4 .*--launcher slurm .*--dry-run$"),
    Expectation(r"attnlib reproduce table1 --profile paper --aggregate$", error=r"not done yet"),
    Expectation(r"attnlib reproduce table1 --profile smoke --only"),
    Expectation(r"^mkdir -p book/notebooks$"),
    Expectation(r"jupytext --to ipynb"),
    Expectation(r"papermill /tmp/fig2_complexity.ipynb", (("-p profile paper", "-p profile smoke"),)),
)


def fenced_blocks(text: str, language: str) -> list[str]:
    """The bodies of the ```language fenced blocks of a Markdown text."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def shell_commands(block: str) -> list[str]:
    """One string per command: continuation lines joined, comments and blank lines dropped."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        if list(lexer):
            commands.append(re.sub(r"\s+", " ", line.split(" #", 1)[0].strip()))
    return commands


def documented(language: str) -> list[tuple[str, str]]:
    """(documents, command or block) for each distinct command, in order of first appearance."""
    found: dict[str, list[str]] = {}
    for document in DOCUMENTS:
        for block in fenced_blocks((ROOT / document).read_text(), language):
            for item in shell_commands(block) if language == "bash" else [block]:
                found.setdefault(item, []).append(document)
    return [(" + ".join(documents), item) for item, documents in found.items()]


def expectation(command: str) -> Expectation:
    matches = [e for e in EXPECTED if re.search(e.pattern, command)]
    assert len(matches) == 1, f"{command!r} matches {len(matches)} entries of EXPECTED; add or narrow one"
    return matches[0]


def smoke_size(command: str, rule: Expectation) -> str:
    for pattern, replacement in rule.rewrites:
        rewritten = re.sub(pattern, replacement, command, count=1)
        assert rewritten != command, f"rewrite {pattern!r} no longer applies to {command!r}"
        command = rewritten
    return command


@pytest.fixture(scope="module")
def scratch_checkout(tmp_path_factory) -> Path:
    """A copy of the tracked tree with a venv of its own that links to ours.

    The scratch ``.venv`` is a folder whose entries link to this environment's, with a fresh
    ``.attnlib-installed`` stamp of its own: ``make`` there sees its venv as up to date and never
    reinstalls — a reinstall through a link to our venv would point our editable ``attnlib`` at the
    scratch copy.
    """
    scratch = tmp_path_factory.mktemp("checkout")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, scratch / name)
    venv = Path(sys.executable).parents[1]
    (scratch / ".venv").mkdir()
    for entry in venv.iterdir():
        if entry.name != ".attnlib-installed":
            (scratch / ".venv" / entry.name).symlink_to(entry)
    (scratch / ".venv" / ".attnlib-installed").touch()  # newer than every copied file
    return scratch


def command_environment(scratch: Path) -> dict[str, str]:
    """The environment of every documented command: the scratch checkout's attnlib and data, one thread."""
    return {**os.environ, "PYTHONPATH": str(scratch), "ATTNLIB_DATA": str(scratch / "data"), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def attnlib_server(scratch_checkout) -> Iterator[ForkServer]:
    """Runs the plain ``.venv/bin/attnlib`` commands, each in a fork of one process (``tests/forkserver.py``)."""
    server = ForkServer(cwd=scratch_checkout, env=command_environment(scratch_checkout))
    yield server
    server.close()


def test_the_console_script_is_what_the_fork_server_runs(scratch_checkout):
    """The server calls ``attnlib.cli.main`` with the command's words: the script must be just that call."""
    script = (scratch_checkout / SCRIPT).read_text()
    assert "from attnlib.cli import main" in script and "sys.exit(main())" in script, script
    completed = subprocess.run(
        [SCRIPT, "bench", "--engine", "nonsense"],
        cwd=scratch_checkout,
        env=command_environment(scratch_checkout),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2 and "invalid choice" in completed.stderr, completed.stderr


def test_every_documented_command_has_one_expectation_and_every_expectation_is_used():
    commands = [command for _, command in documented("bash")]
    assert len(commands) >= 14
    for command in commands:
        expectation(command)
    for rule in EXPECTED:
        assert any(re.search(rule.pattern, c) for c in commands), f"stale entry {rule.pattern!r}"


@pytest.mark.parametrize(("document", "command"), documented("bash"), ids=lambda v: v[:60])
def test_documented_command_runs_as_written(scratch_checkout, attnlib_server, document, command):
    rule = expectation(command)
    if rule.error and "CUDA" in rule.error and torch.cuda.is_available():
        pytest.skip("checks the refusal on a machine without a GPU")
    sized, environment = smoke_size(command, rule), command_environment(scratch_checkout)
    if (plain := forkable(sized)) and attnlib_server.available():
        variables, argv = plain
        completed = attnlib_server.run(argv, cwd=scratch_checkout, env={**environment, **variables}, timeout=600)
    else:
        completed = subprocess.run(
            ["bash", "-c", sized],
            cwd=scratch_checkout,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = completed.stdout[-3000:] + completed.stderr[-3000:]
    if rule.error is None:
        assert completed.returncode == 0, f"{document}: {command}\n{output}"
    else:
        assert completed.returncode != 0, f"{document}: {command} should have failed\n{output}"
        assert re.search(rule.error, completed.stdout + completed.stderr), output
        if "attnlib" in command.split()[0] or ".venv/bin/attnlib" in command:
            assert completed.returncode == 2 and "Traceback" not in completed.stderr, output


@pytest.mark.parametrize(("document", "block"), documented("python"), ids=lambda v: v[:40])
def test_documented_python_runs_as_written(document, block):
    pytest.importorskip("timm")
    namespace: dict[str, object] = {}
    exec(compile(block, document, "exec"), namespace)
    assert namespace, document


def test_the_jupytext_and_papermill_pair_runs_in_one_worker(request):
    """Under pytest-xdist the commands that make the pages' folder, write /tmp/fig2_complexity.ipynb and
    execute it into that folder share one group (tests/conftest.py), so one worker runs them in order in
    one scratch checkout; no other command is held."""
    from tests.conftest import xdist_group

    name = "tests/test_documented_commands.py::test_documented_command_runs_as_written"
    ids = [f"{name}[{document[:60]}-{command[:60]}]" for document, command in documented("bash")]
    collected = {item.nodeid for item in request.session.items if item.nodeid.startswith(name)}
    assert collected <= set(ids)  # the ids are rebuilt as pytest writes them
    grouped = [nodeid for nodeid in ids if xdist_group(nodeid)]
    assert len(grouped) == 3, grouped
    assert "mkdir -p book/notebooks" in grouped[0]
    assert ".venv/bin/jupytext" in grouped[1] and ".venv/bin/papermill" in grouped[2]
    assert xdist_group("tests/test_book.py::test_notebook_executes_at_smoke[fig1_modules]") == "book"
    assert xdist_group("tests/test_bench.py::test_engine_agrees_with_eager[se-eager]") is None
    assert xdist_group("tests/test_bench.py::test_engine_agrees_with_eager[se-compile]") == "inductor"
    assert xdist_group("tests/test_int8.py::test_int8_engines_are_checked_against_fp32_and_faithful[compile-se]") == (
        "inductor"
    )
