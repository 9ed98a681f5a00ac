"""What a trace of the graph holds, and how it is shown: tables, per-feature rows, JSON.

One type for one row (:class:`ExampleTrace`) and one for several (:class:`BatchTrace`),
whatever the link. Values per output follow the links' convention
(:meth:`logistic.objective.Link.decision`): with one output (the binomial link) they are
plain numbers, with ``K`` outputs arrays with a trailing axis of ``K``. A front end prints a
trace through :meth:`ExampleTrace.rows`, :meth:`ExampleTrace.feature_rows` and ``note``
without knowing which link made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._nodes import LinkNodes, nodes_for

__all__ = [
    "BatchTrace",
    "ExampleTrace",
    "FeatureTable",
    "fmt",
    "fmt_values",
    "label_value",
    "plain_table",
]


def fmt(v, digits=6) -> str:
    """A number as text: ``digits`` significant digits, ``nan``, ``inf`` or ``-inf``."""
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.{digits}g}"


def fmt_values(v, limit=10) -> str:
    """A number, or an array as ``[v0, v1, ...]`` (the first ``limit`` entries)."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 0:
        return fmt(v)
    flat = v.ravel()
    more = ", ..." if flat.size > limit else ""
    return "[" + ", ".join(fmt(x) for x in flat[:limit]) + more + "]"


def _jsonable(v):
    """Plain Python numbers (nested lists for arrays); non-finite numbers as strings."""
    if np.ndim(v):
        return [_jsonable(x) for x in np.asarray(v)]
    v = float(v)
    return v if np.isfinite(v) else fmt(v)


def label_value(v):
    """A class label as a JSON value: numbers and strings as they are, anything else as text."""
    v = v.item() if isinstance(v, np.generic) else v
    return v if isinstance(v, bool | int | float | str) or v is None else str(v)


def plain_table(header, rows, title="") -> str:
    """Left-aligned columns under a rule, with an optional title line."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [title, line.rstrip(), "-" * len(line)] if title else [line.rstrip(), "-" * len(line)]
    out += [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(out)


@dataclass(frozen=True)
class FeatureTable:
    """A per-feature table ready to print: ``title``, ``header`` and ``rows`` of text.

    ``hidden`` features were left out (their ``x_j`` is 0, so is everything they feed);
    ``note`` says so in a sentence, or is empty.
    """

    title: str
    header: tuple
    rows: list
    hidden: int = 0
    note: str = ""

    def __str__(self):
        text = plain_table(self.header, self.rows, title=self.title)
        return text + (f"\n({self.note})" if self.note else "")


class _Outputs:
    """What both trace types share: the link's nodes, output labels and feature names."""

    #: ``z`` has an axis over the outputs after this many others (rows, in a batch).
    _output_axis = 0

    @property
    def nodes(self) -> LinkNodes:
        """The link's node definitions (formulas), from :data:`logistic.graph.NODES`."""
        return nodes_for(self.link)

    @property
    def n_out(self) -> int:
        """Outputs (logits) of a row: 1 for the binomial link, ``K`` for the softmax."""
        shape = np.shape(self.z)
        return shape[-1] if len(shape) > self._output_axis else 1

    @property
    def output_names(self) -> list[str]:
        """The class each output stands for: the positive class alone for one output."""
        return [str(c) for c in self.classes[-self.n_out :]]

    def _suffixes(self, diagonal=False):
        """Index of each output in a quantity's name: none for one output, else ``[c]``."""
        if self.n_out == 1:
            return [""]
        return [f"[{c},{c}]" if diagonal else f"[{c}]" for c in self.output_names]

    def _names(self, n):
        return self.feature_names or [str(j) for j in range(n)]

    def _rows_of(self, specs):
        """Table rows from ``(quantity, formula key, values, kind)``: one row for a number,
        one per output for ``"out"``, the diagonal for ``"diag"``."""
        formulas = self.nodes.formulas
        rows = []
        for quantity, key, values, kind in specs:
            symbol, _, rest = quantity.partition(" ")
            v = np.asarray(values, dtype=np.float64)
            if kind == "one":
                rows.append((quantity, formulas[key], fmt(v)))
                continue
            v = np.diag(v.reshape(self.n_out, self.n_out)) if kind == "diag" else v.ravel()
            for s, vk in zip(self._suffixes(kind == "diag"), v, strict=True):
                rows.append(((f"{symbol}{s} {rest}").strip(), formulas[key], fmt(vk)))
        return rows

    def _per_feature(self, values):
        """``values`` (n,) or (n, n_out) as (n, n_out)."""
        return np.asarray(values, dtype=np.float64).reshape(-1, self.n_out)

    def _output_headers(self, symbol):
        if self.n_out == 1:
            return [symbol]
        return [f"{symbol} [{c}]" for c in self.output_names]


@dataclass
class ExampleTrace(_Outputs):
    """Every value and local derivative of the computation graph for one example.

    Values per output are numbers for a one-output link (the binomial: the seeds' scalars
    ``z``, ``a``, ``dL/da``, ...) and arrays over the ``K`` outputs otherwise.

    Attributes
    ----------
    link : str
        The link's name (``"binomial"``, ``"softmax"``); ``nodes`` gives its formulas.
    classes : list
        The model's class labels; ``label`` is the row's.
    x : ndarray (n,)
    y : float or ndarray (K,)
        The true class in the link's output coordinates: 0/1, or one-hot.
    w : ndarray (n,) or (n, K)
    b : float or ndarray (K,)
    z : float or ndarray (K,)
        ``w . x + b``, ``W^T x + b``.
    a : float or ndarray (K,)
        ``sigmoid(z)``, ``softmax(z)``.
    L : float
        The loss from the logits (what the library computes); ``L_literal`` from ``a``.
    dL_da : float or ndarray (K,)
        ``(1-y)/(1-a) - y/a``, ``-y_k / a_k``.
    da_dz : float or ndarray (K, K)
        ``a (1 - a)``, ``diag(a) - a a^T`` from ``a``; ``da_dz_stable`` without cancellation.
    dL_dz_chain : float or ndarray (K,)
        The literal chain product ``(da/dz)^T dL/da``.
    dL_dz : float or ndarray (K,)
        The fused ``a - y``.
    dz_dw : ndarray (n,)
        ``x`` (``dz_k/dW_jk = x_j``); ``dz_db`` is 1.
    dL_dw : ndarray (n,) or (n, K)
        ``x (a - y)^T``; ``dL_db = a - y``.
    saturated : bool
        Some ``a_k`` rounded to 0 or 1, so the literal chain is not to be trusted; ``note``
        says why the fused form is.
    label_index : int
        Position of ``label`` in ``classes``.
    feature_names : list of str
        Defaults to ``"0", "1", ...`` where empty.
    """

    link: str
    classes: list
    label: object
    x: np.ndarray
    y: object
    w: np.ndarray
    b: object
    z: object
    a: object
    L: float
    L_literal: float
    dL_da: object
    da_dz: object
    da_dz_stable: object
    dL_dz_chain: object
    dL_dz: object
    dz_dw: np.ndarray
    dz_db: float
    dL_dw: np.ndarray
    dL_db: object
    saturated: bool
    note: str
    label_index: int = 0
    feature_names: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        label = self.label
        shown = fmt(label) if isinstance(label, int | float | np.number) else str(label)
        return f"one example, y = {shown}"

    def rows(self):
        """``(quantity, formula, value)`` rows of the nodes and their derivatives.

        The seeds' order: ``z, a, L, dL/da, da/dz, dL/dz (chain), dL/dz (fused), dz/db,
        dL/db``; one row per output (``z[c]``, ``da/dz[c,c]`` for the Jacobian's diagonal)
        where there are several. The per-feature derivatives are in :meth:`feature_rows`.
        """
        return self._rows_of(
            [
                ("z", "z", self.z, "out"),
                ("a", "a", self.a, "out"),
                ("L", "L", self.L, "one"),
                ("dL/da", "dL/da", self.dL_da, "out"),
                ("da/dz", "da/dz", self.da_dz, "diag"),
                ("dL/dz (chain)", "dL/dz (chain)", self.dL_dz_chain, "out"),
                ("dL/dz (fused)", "dL/dz (fused)", self.dL_dz, "out"),
                ("dz/db", "dz/db", self.dz_db, "one"),
                ("dL/db", "dL/db", self.dL_db, "out"),
            ]
        )

    def contributions(self):
        """``w_jk x_j`` (n, n_out): what each feature adds to each logit."""
        return self._per_feature(self.w) * self.x[:, None]

    def feature_rows(self, all_features=False, contributions=True) -> FeatureTable:
        """Per feature: ``x_j`` (= ``dz/dw_j``), its contribution ``w_j x_j`` to each logit
        and ``dL/dw_j = x_j (a - y)`` for each output.

        Parameters
        ----------
        all_features : bool, default=False
            Also list the features with ``x_j = 0`` (their contribution and gradient are 0);
            otherwise they are counted in ``hidden``.
        contributions : bool, default=True
            Include the ``w_j x_j`` columns (``K`` of them for ``K`` outputs).
        """
        W = self.nodes.weights
        header = ["feature", "x = dz/dw"]
        if contributions:
            header += self._output_headers(f"{W} x")
        header += self._output_headers(f"dL/d{W}")
        contrib, grad = self.contributions(), self._per_feature(self.dL_dw)
        rows, hidden = [], 0
        for j, name in enumerate(self._names(self.x.shape[0])):
            if self.x[j] == 0.0 and not all_features:
                hidden += 1
                continue
            values = [*contrib[j], *grad[j]] if contributions else list(grad[j])
            rows.append((name, fmt(self.x[j]), *(fmt(v) for v in values)))
        f = self.nodes.formulas
        note = ""
        if hidden:
            note = (
                f"{hidden} feature{'' if hidden == 1 else 's'} with x = 0 not shown: "
                f"their dz/dw and dL/d{W} are 0"
            )
        return FeatureTable(
            title=f"per feature: dz/dw = {f['dz/dw']}, dL/d{W} = {f['dL/dw']}",
            header=tuple(header),
            rows=rows,
            hidden=hidden,
            note=note,
        )

    def as_dict(self):
        """Plain Python values (JSON-ready); non-finite numbers become strings.

        The attributes by name, per-feature ones (``dz_dw``, ``dL_dw``) as ``{feature:
        value}`` (a list over the outputs for several), and ``link``, ``classes``,
        ``label``.
        """
        names = self._names(self.x.shape[0])
        return {
            "link": self.link,
            "classes": [label_value(c) for c in self.classes],
            "label": label_value(self.label),
            "y": _jsonable(self.y),
            "z": _jsonable(self.z),
            "a": _jsonable(self.a),
            "L": _jsonable(self.L),
            "L_literal": _jsonable(self.L_literal),
            "dL_da": _jsonable(self.dL_da),
            "da_dz": _jsonable(self.da_dz),
            "da_dz_stable": _jsonable(self.da_dz_stable),
            "dL_dz_chain": _jsonable(self.dL_dz_chain),
            "dL_dz": _jsonable(self.dL_dz),
            "dz_db": 1.0,
            "dL_db": _jsonable(self.dL_db),
            "dz_dw": {n: _jsonable(v) for n, v in zip(names, self.dz_dw, strict=True)},
            "dL_dw": {n: _jsonable(v) for n, v in zip(names, self.dL_dw, strict=True)},
            "saturated": self.saturated,
            "note": self.note,
        }

    def __str__(self):
        text = plain_table(["quantity", "formula", "value"], self.rows(), title=self.title)
        text += "\n\n" + str(self.feature_rows(all_features=True))
        return text + (f"\n{self.note}" if self.note else "")


@dataclass
class BatchTrace(_Outputs):
    """The graph over ``m`` examples: per-example ``z``, ``a``, ``L``, ``a - y`` and the
    averaged gradients ``dJ/dW = X^T (A - Y) / m``, ``dJ/db = mean(a - y)``.

    ``z``, ``a``, ``dL_dz`` are (m,) for one output, (m, K) for ``K``; ``dJ_dw`` (n,) or
    (n, K); ``dJ_db`` a number or (K,). ``n_saturated`` counts the rows with some ``a_k``
    rounded to 0 or 1.
    """

    link: str
    classes: list
    z: np.ndarray
    a: np.ndarray
    L: np.ndarray
    dL_dz: np.ndarray
    J: float
    dJ_dw: np.ndarray
    dJ_db: object
    n_saturated: int
    feature_names: list[str] = field(default_factory=list)

    _output_axis = 1  # z is (m,) or (m, K)

    @property
    def m(self) -> int:
        return int(self.z.shape[0])

    def rows(self):
        """``(quantity, formula, value)`` rows: ``m``, ``J``, ``dJ/db`` (per output) and the
        number of saturated rows; the per-feature gradient is in :meth:`feature_rows`."""
        rows = [("m", "examples", str(self.m))]
        rows += self._rows_of([("J", "J", self.J, "one"), ("dJ/db", "dJ/db", self.dJ_db, "out")])
        rows.append(("saturated", "rows with a rounded to 0 or 1", str(self.n_saturated)))
        return rows

    def feature_rows(self) -> FeatureTable:
        """Per feature: the averaged gradient ``dJ/dw_j`` of each output."""
        W = self.nodes.weights
        grad = self._per_feature(self.dJ_dw)
        names = self._names(grad.shape[0])
        return FeatureTable(
            title=f"per feature: dJ/d{W} = {self.nodes.formulas['dJ/dw']}",
            header=("feature", *self._output_headers(f"dJ/d{W}")),
            rows=[(n, *(fmt(v) for v in g)) for n, g in zip(names, grad, strict=True)],
        )

    def as_dict(self):
        """``m``, ``J``, ``dJ_db``, ``dJ_dw`` (``{feature: value}``), ``n_saturated``,
        ``link`` and ``classes`` as plain values."""
        names = self._names(self._per_feature(self.dJ_dw).shape[0])
        return {
            "link": self.link,
            "classes": [label_value(c) for c in self.classes],
            "m": self.m,
            "J": _jsonable(self.J),
            "dJ_db": _jsonable(self.dJ_db),
            "dJ_dw": {n: _jsonable(g) for n, g in zip(names, self.dJ_dw, strict=True)},
            "n_saturated": self.n_saturated,
        }

    def __str__(self):
        text = plain_table(["quantity", "formula", "value"], self.rows(), title="batch")
        return text + "\n\n" + str(self.feature_rows())
