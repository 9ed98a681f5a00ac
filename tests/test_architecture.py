"""Import contracts: the command line and the training module are clients of the public API.

Every import in ``src/logistic/cli/*.py`` and ``src/logistic/training/*.py`` is read from
the syntax tree (nothing is run): a module whose dotted path has a part starting with ``_``,
or a name starting with ``_`` imported from a module, fails the test, unless the module is
the package's own (``logistic.cli.*`` for the command line). What a Python user cannot
import without reaching into implementation details, these front ends do not use either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# The packages held to the contract, with the package whose private modules they may use.
CLIENTS = {"cli": "logistic.cli", "training": "logistic.training"}


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and part != "__future__" for part in dotted.split("."))


def _imports(path: Path, package: str):
    """``(line, module, name or None)`` for every import of ``path`` (a module of
    ``package``), relative imports resolved to absolute module paths."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module
            for alias in node.names:
                yield node.lineno, module, alias.name


def _violations(src: Path, package_dir: str, own: str) -> list[str]:
    """Every import of a private module or name from outside ``own`` in ``src/logistic/
    package_dir``, as ``"path:line imports module.name"``."""
    found = []
    for path in sorted((src / "logistic" / package_dir).glob("*.py")):
        for line, module, name in _imports(path, own):
            if module == own or module.startswith(own + "."):
                continue  # the package's own modules, private ones included
            # ``from logistic import _x`` imports a private module by name.
            if _private(module) or (name is not None and name.startswith("_")):
                shown = module if name is None else f"{module}.{name}"
                found.append(f"{path.relative_to(src)}:{line} imports {shown}")
    return found


@pytest.mark.parametrize("package_dir", sorted(CLIENTS))
def test_imports_only_the_public_api(package_dir):
    assert _violations(SRC, package_dir, CLIENTS[package_dir]) == []


def test_the_check_catches_private_imports(tmp_path):
    """The contract test itself: each kind of private import is reported."""
    pkg = tmp_path / "logistic" / "cli"
    pkg.mkdir(parents=True)
    (pkg / "bad.py").write_text(
        "import logistic._math\n"
        "from logistic._estimator import LogisticRegression\n"
        "from logistic.persistence import _INFERENCE_NUMBERS\n"
        "from .. import _links\n"
        "from ..inference._api import inference\n"
        "from ._output import Output\n"  # the package's own: allowed
        "from logistic.tables import read_table\n"  # public: allowed
    )
    found = _violations(tmp_path, "cli", "logistic.cli")
    assert [f.split(" imports ")[1] for f in found] == [
        "logistic._math",
        "logistic._estimator.LogisticRegression",
        "logistic.persistence._INFERENCE_NUMBERS",
        "logistic._links",
        "logistic.inference._api.inference",
    ]


def test_no_cli_module_over_400_lines():
    lines = {
        p.name: len(p.read_text(encoding="utf-8").splitlines())
        for p in (SRC / "logistic" / "cli").glob("*.py")
    }
    assert {name: n for name, n in lines.items() if n > 400} == {}
