"""The import contract: every arrow points down the layers of docs/architecture.md.

Each module of the package belongs to one layer; it may import modules of its own layer or
of the layers below, never above. The layers, bottom to top, are listed in ``LAYERS`` (a
module's layer is that of its longest listed prefix); the package's ``__init__`` is the
public facade on top of everything and is not checked. The CLI's own contract (public API
only) is checked by tests/test_architecture.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "logistic"

# Bottom to top. A module may import from its own layer and the layers before it; the clients
# of the public API on top (training, cli) may also import the facade ``logistic``.
CLIENTS = ("training", "cli")
LAYERS = [
    # foundations: errors, numerics, rules, files
    [
        "errors",
        "_version",
        "_math",
        "_blas",
        "_text",
        "_classes",
        "_validation",
        "_read_limits",  # the limits of the data-file readers, and the scans they rest on
        "_csv",
        "_read_errors",  # the error boundary of every data-file reader
        "_files",
        "_atomic",
        "_json_limits",
        "reference",
        "_report._notebook",  # the notebook tables of _repr_html_ (estimators, inference)
    ],
    ["tables"],  # data files into design matrices
    ["_kernel"],  # chunk kernels
    ["_links"],  # the links (binomial, softmax) over the kernels
    ["sources"],  # executors: rows in memory, files, Dask
    ["_objective", "objective"],  # the objective over a source and a link
    ["solvers", "inference"],  # minimising an objective; the statistics of an optimum
    ["_fit_checks", "_estimator", "_cv"],  # the scikit-learn estimators
    ["_graph", "graph", "metrics"],  # reading a fitted model
    ["_model_file", "_model_schema", "persistence", "plots", "dask", "_report"],
    ["training"],  # fitting a table, as the command line does
    ["cli"],
]


def _layer_of(module: str) -> int:
    """The layer of ``logistic.<module>`` (dotted, without the package prefix)."""
    best, layer = -1, None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, layer = len(name), i
    if layer is None:
        raise AssertionError(f"logistic.{module} is in no layer of tests/test_layers.py")
    return layer


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = list(rel.parts)
        if parts == ["__init__"]:
            continue  # the public facade
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        yield ".".join(parts), path, is_pkg


def _imports(module, path, is_pkg):
    """``(lineno, imported module)`` of every import of a ``logistic`` module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if is_pkg else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "logistic" or alias.name.startswith("logistic."):
                    yield node.lineno, alias.name.removeprefix("logistic").lstrip(".")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and (
                    node.module == "logistic" or node.module.startswith("logistic.")
                ):
                    base = node.module.removeprefix("logistic").lstrip(".")
                else:
                    continue
            else:
                up = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*up, *([node.module] if node.module else [])])
            if base:
                yield node.lineno, base
            else:  # ``from . import name`` at the top: the names are modules or the facade
                for alias in node.names:
                    yield node.lineno, alias.name


MODULES = list(_modules())
_TOP_LEVEL = {m.split(".")[0] for m, _, _ in MODULES}


@pytest.mark.parametrize(("module", "path", "is_pkg"), MODULES, ids=[m for m, _, _ in MODULES])
def test_imports_point_down_the_layers(module, path, is_pkg):
    own = _layer_of(module)
    client = module.split(".")[0] in CLIENTS
    for lineno, target in _imports(module, path, is_pkg):
        if client and (target == "" or target.split(".")[0] not in _TOP_LEVEL):
            continue  # the facade, or a public name re-exported by it
        if target in ("", "__version__"):
            raise AssertionError(
                f"{path.name}:{lineno} imports the package facade (logistic); import the "
                "module that defines the name instead"
            )
        assert _layer_of(target) <= own, (
            f"logistic.{module} (layer {own}) imports logistic.{target} (layer "
            f"{_layer_of(target)}) at {path.name}:{lineno}: an arrow up the layers"
        )


def test_every_module_is_in_a_layer():
    for module, _, _ in MODULES:
        _layer_of(module)
