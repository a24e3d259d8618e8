"""The package's shape, computed from its source: layers, no import cycles, one home for profiles.

Layers, lowest first — an import may only point to the same layer or a lower one:

* core: the modules, networks, complexity counting, records, the paper's values, profile names, plots;
* domain: ``bench``, ``train``, ``detection`` (each knows its own job, nothing of the book);
* ``reproduce``: the book's chapters — settings per profile, experiments, layouts, conclusion checks;
* entry points: the command line, the notebook runner, the Sphinx guard (and the notebooks).

Imports are read with :mod:`ast`, including those inside functions (a lazy import is still an
arrow); imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "attnlib"
LAYERS = {
    "core": 0,
    "bench": 1,
    "train": 1,
    "detection": 1,
    "reproduce": 2,
    "cli": 3,
    "advice": 3,  # `attnlib advise`: a tool over bench, train and reproduce, like the command line
    "notebooks": 3,
    "book_guard": 3,
    "book_site": 3,
    "findings": 3,  # the front page: reads the chapters' modules and the advice
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Every ``attnlib…`` module imported at run time (``if TYPE_CHECKING`` blocks skipped)."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [name for name in names if name == "attnlib" or name.startswith("attnlib.")]


def import_graph() -> dict[str, set[str]]:
    """Module → the attnlib modules it imports (``from attnlib.x import y`` counts ``attnlib.x.y``
    only where ``y`` is a module)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = {target for target in _runtime_imports(ast.parse(path.read_text())) if target in modules}
        targets.discard(name)
        # A package's __init__ importing its own submodules is how it exports them, not a dependency —
        # except the package face (``attnlib``), whose submodules are the whole library: it is core, and
        # what it hands on must be core too.
        exports = path.name == "__init__.py" and name != "attnlib"
        graph[name] = {t for t in targets if not (exports and t.startswith(name + "."))}
    return graph


def layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "core"
    return (top, LAYERS[top]) if top in LAYERS else ("core", 0)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for source, targets in import_graph().items():
        source_name, source_level = layer(source)
        for target in targets:
            target_name, target_level = layer(target)
            if target_level > source_level:
                wrong.append(f"{source} ({source_name}) imports {target} ({target_name})")
    assert not wrong, "imports that point up the layers:\n" + "\n".join(sorted(wrong))


def test_domain_packages_do_not_import_each_other_upwards() -> None:
    """train knows nothing of bench or detection; bench nothing of train or detection."""
    allowed = {"train": set(), "bench": set(), "detection": {"train"}}
    wrong = []
    for source, targets in import_graph().items():
        source_name, _ = layer(source)
        for target in targets:
            target_name, level = layer(target)
            if source_name in allowed and level == 1 and target_name != source_name:
                if target_name not in allowed[source_name]:
                    wrong.append(f"{source} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_graph_sees_the_package() -> None:
    """Guard against a test that passes because it read nothing."""
    graph = import_graph()
    assert "attnlib.train.loop" in graph and "attnlib.cli" in graph
    assert "attnlib.train.config" in graph["attnlib.train.loop"]


@pytest.mark.parametrize("source", sorted((ROOT / "notebooks").glob("*.py")), ids=lambda p: p.stem)
def test_notebooks_import_their_logic_from_one_chapter_module(source: Path) -> None:
    """A notebook imports at most one chapter of ``attnlib.reproduce`` (plus the layer's shared
    modules) and nothing from the domain packages."""
    imports = _runtime_imports(ast.parse(source.read_text()))
    domain = [name for name in imports if layer(name)[1] == 1]
    chapters = {name.split(".")[2] for name in imports if re.match(r"attnlib\.reproduce\.(table|fig)\d", name)}
    assert not domain, f"{source.name} imports domain modules directly: {sorted(set(domain))}"
    assert len(chapters) <= 1, f"{source.name} imports several chapters: {sorted(chapters)}"


CHAPTERS = ("fig2", "fig3", "fig5", "fig6", "table1", "table2", "table3", "table4", "table5")


def test_profile_names_are_defined_once() -> None:
    """The tuple of profile names is written in attnlib/profiles.py and nowhere else."""
    spelled = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if re.search(r"""\(\s*["']smoke["'],\s*["']default["'],\s*["']paper["']\s*\)""", text):
            spelled.append(str(path.relative_to(ROOT)))
    assert spelled == ["attnlib/profiles.py"], spelled


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_declares_its_settings_for_every_profile(chapter: str) -> None:
    import importlib

    from attnlib.profiles import PROFILES, PerProfile

    module = importlib.import_module(f"attnlib.reproduce.{chapter}")
    assert isinstance(module.SETTINGS, PerProfile) and module.EXPERIMENT
    for profile in PROFILES:
        settings = module.SETTINGS.get(profile)
        assert settings is not None
        warning = module.page_warning(profile, settings, "test CPU")
        assert warning is None or warning.startswith(":::")
    with pytest.raises(ValueError, match="unknown profile 'fast'; valid profiles are smoke, default, paper"):
        module.SETTINGS.get("fast")


def _python_entry_points() -> dict[str, object]:
    from attnlib import notebooks
    from attnlib.detection.task import DetectionConfig
    from attnlib.reproduce import fig3, table3, table4, table5
    from attnlib.reproduce.common import open_page
    from attnlib.reproduce.training import profile_config
    from attnlib.train import TrainConfig

    return {
        "TrainConfig": lambda: TrainConfig(profile="fast"),
        "DetectionConfig": lambda: DetectionConfig(profile="fast"),
        "profile_config": lambda: profile_config("fast", "synthetic-cifar", "cifar_resnet8", None),
        "open_page": lambda: open_page(fig3, "fast"),
        "run_table3": lambda: table3.run_table3("fast"),
        "run_table4": lambda: table4.run_table4("fast"),
        "run_table5": lambda: table5.run_table5("fast"),
        "notebooks.execute": lambda: notebooks.execute("fig1_modules", "fast"),
        "notebooks.execute -p": lambda: notebooks.execute("fig1_modules", parameters={"profile": "fast"}),
        "notebooks.execute_all": lambda: notebooks.execute_all("fast"),
    }


ENTRY_POINTS = ("TrainConfig", "DetectionConfig", "profile_config", "open_page", "run_table3", "run_table4")
ENTRY_POINTS += ("run_table5", "notebooks.execute", "notebooks.execute -p", "notebooks.execute_all")


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_an_unknown_profile_is_refused_by_every_python_entry_point(entry_point: str) -> None:
    calls = _python_entry_points()
    assert set(calls) == set(ENTRY_POINTS)
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        calls[entry_point]()


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--dataset", "synthetic-cifar", "--profile", "fast"],
        ["detect", "--table", "5", "--profile", "fast"],
        ["bench", "--profile", "fast"],
        ["notebook", "fig1_modules", "--profile", "fast"],
        ["notebooks", "--profile", "fast"],
    ],
    ids=lambda argv: argv[0],
)
def test_an_unknown_profile_is_refused_by_every_command(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    from attnlib.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_an_unknown_profile_given_as_a_notebook_parameter_is_one_clear_error(capsys: pytest.CaptureFixture) -> None:
    from attnlib.cli import main

    assert main(["notebook", "fig1_modules", "-p", "profile", "fast"]) == 2
    assert "attnlib: error: unknown profile 'fast'; valid profiles are smoke, default, paper" in capsys.readouterr().err
