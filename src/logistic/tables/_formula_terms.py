"""The terms a formula may hold: formulaic evaluates a factor such as ``np.log(x + 1)`` with
Python, and a model file's formula is evaluated again at ``predict``, so a term is checked
to be arithmetic on columns with formulaic's and NumPy's elementwise functions before it is
ever evaluated (at training and when a model file is read)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["term_variables"]


# NumPy functions a term may call besides its ufuncs (which are pure and elementwise).
_NUMPY_FUNCTIONS = frozenset({"where", "clip", "round", "abs"})


def term_variables(expr: str, formula: str) -> set[str]:
    """The variables of a Python expression of a formula's factor (its names that are not
    a called function, a module or one of formulaic's names such as ``Sum``), after checking
    that the expression is arithmetic on variables and constants with calls of formulaic's
    transforms and NumPy's elementwise functions only.

    formulaic evaluates such a factor with Python, and a model file's formula is evaluated
    again at ``predict``: an attribute or method of a variable (``x.to_csv(...)``), a
    subscript, a dunder name or any other function would let a file run code. formulaic's
    own ``required_variables`` also leaves out the arguments of its stateful transforms.

    Raises
    ------
    InvalidParameterError
        The expression uses anything else; the message names it.
    """
    import ast

    from formulaic.transforms import TRANSFORMS  # C, Sum, Treatment, np, contr, center ...

    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise InvalidParameterError(
            f"formula {formula!r}: the term {expr!r} is not an expression."
        ) from None

    def refuse(what):
        raise InvalidParameterError(
            f"formula {formula!r}: the term {expr!r} uses {what}; terms accept arithmetic on "
            "columns and numbers, formulaic's functions (C, I, center, poly, ...) and NumPy's "
            "elementwise functions (np.log, np.sqrt, np.where, ...)."
        )

    def callee_ok(func) -> bool:
        if isinstance(func, ast.Name):
            return func.id in TRANSFORMS and func.id not in ("np", "contr")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id == "np":
                f = getattr(np, func.attr, None)
                return isinstance(f, np.ufunc) or func.attr in _NUMPY_FUNCTIONS
            return func.value.id == "contr" and not func.attr.startswith("_")
        return False

    plain = (ast.Expression, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)
    plain += (ast.IfExp, ast.List, ast.Tuple, ast.keyword, ast.Load)
    plain += (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
    names, callees = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not callee_ok(node.func):
                refuse(f"the function {ast.unparse(node.func)!r}")
            callees.add(id(node.func))
            if isinstance(node.func, ast.Attribute):
                callees.add(id(node.func.value))
        elif isinstance(node, ast.Attribute):
            constant = (
                isinstance(node.value, ast.Name)
                and node.value.id == "np"
                and isinstance(getattr(np, node.attr, None), float)  # np.pi, np.e
            )
            if id(node) not in callees and not constant:
                refuse(f"the attribute {ast.unparse(node)!r}")
            callees.add(id(node.value))
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                refuse(f"the name {node.id!r}")
            if id(node) not in callees and node.id not in TRANSFORMS:
                names.add(node.id)
        elif not isinstance(node, plain):
            refuse(f"{type(node).__name__.lower()} syntax ({ast.unparse(node)!r})")
    return names
