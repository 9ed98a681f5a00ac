"""Separation: whether the maximum likelihood estimate exists, decided by linear programming
(Konis, 2007), and which features and rows are to blame."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..errors import DataError
from ._checks import _check_arrays, _feature_names

# Greedy pruning of the separating features costs one LP per feature: only up to this many.
_MAX_PRUNE = 64


@dataclass(frozen=True)
class SeparationReport:
    """The outcome of :func:`~logistic.inference.detect_separation`.

    Attributes
    ----------
    separated : bool
        Whether some direction separates the data (the MLE does not exist).
    kind : {"complete", "quasi-complete"} or None
        ``"complete"``: every row (of positive weight) is strictly separated, so every fitted
        probability tends to 0 or 1. ``"quasi-complete"``: only the rows in ``rows`` are.
    features : tuple of str
        An irreducible set of features that separates ``rows``: the support of a minimum
        L1-norm separating direction (columns scaled to max |x| = 1), then pruned greedily
        (least weight first, up to 64 features) while the same rows stay separated; no
        single feature of the set can be dropped. One explanation, not necessarily the
        only one: another feature may separate the same rows. The intercept is not listed
        (it is the last entry of ``direction``).
    feature_indices : tuple of int
        Column indices of ``features``.
    rows : ndarray of int
        Rows whose fitted probability tends to 0 or 1 along every separating direction
        (the largest such set), in increasing order.
    direction : ndarray of shape (n_features + fit_intercept,) or None
        That sparsest direction in the original units, scaled so that max |d_j| = 1
        (intercept last); the log-likelihood increases without bound along it.
    n_rows : int
        Rows considered (those with positive weight).
    """

    separated: bool
    kind: str | None
    features: tuple = ()
    feature_indices: tuple = ()
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    direction: np.ndarray | None = None
    n_rows: int = 0

    def message(self) -> str:
        """One paragraph saying what is separated and what to do about it."""
        if not self.separated:
            return "No separation: the maximum likelihood estimate exists (finite)."
        shown = ", ".join(repr(f) for f in self.features[:10])
        if len(self.features) > 10:
            shown += ", ..."
        what = f"features [{shown}]" if self.features else "the intercept alone (y has one class)"
        rows = ", ".join(str(int(r)) for r in self.rows[:8]) + (
            ", ..." if len(self.rows) > 8 else ""
        )
        return (
            f"{self.kind} separation: {what} predict y perfectly for {len(self.rows)} of "
            f"{self.n_rows} rows (rows {rows}). The maximum likelihood estimate does not "
            "exist: the fit stops at arbitrarily large coefficients, and their standard "
            "errors, z and p-values are meaningless. Remove or merge those features (or the "
            "categories they encode), or fit with a penalty (finite C)."
        )

    @classmethod
    def from_dict(cls, d):
        """The report whose :meth:`as_dict` is ``d`` (a null entry of ``direction`` is NaN).

        Raises :class:`~logistic.errors.DataError` when ``d`` is not a mapping with a
        boolean ``separated``.
        """
        if not (isinstance(d, Mapping) and isinstance(d.get("separated"), bool | np.bool_)):
            raise DataError(
                "a separation report accepts a mapping with a boolean 'separated', as returned "
                "by SeparationReport.as_dict()."
            )
        direction = d.get("direction")
        if direction is not None:
            direction = np.array(
                [np.nan if v is None else float(v) for v in direction], dtype=np.float64
            )
        return cls(
            separated=bool(d["separated"]),
            kind=d.get("kind"),
            features=tuple(str(f) for f in d.get("features") or ()),
            feature_indices=tuple(int(j) for j in d.get("feature_indices") or ()),
            rows=np.asarray(d.get("rows") or [], dtype=np.intp),
            direction=direction,
            n_rows=int(d.get("n_rows") or 0),
        )

    def as_dict(self) -> dict:
        """Plain-Python data (JSON-serialisable)."""
        return {
            "separated": self.separated,
            "kind": self.kind,
            "features": list(self.features),
            "feature_indices": [int(j) for j in self.feature_indices],
            "rows": [int(r) for r in self.rows],
            "direction": None if self.direction is None else self.direction.tolist(),
            "n_rows": int(self.n_rows),
        }


def detect_separation(X, y01, fit_intercept=True, feature_names=None, *, sample_weight=None):
    """Detect complete or quasi-complete separation by linear programming (Konis, 2007).

    With ``y'_i = 2 y_i - 1`` and ``x~_i = [x_i, 1]``, the data are separated when a
    direction ``d`` exists with ``y'_i x~_i . d >= 0`` for all rows and ``> 0`` for some;
    the log-likelihood then increases without bound along ``d``. Three LPs (HiGHS), on
    columns scaled to max |x_j| = 1:

    1. screen: maximise ``sum_i y'_i x~_i . d`` s.t. ``y'_i x~_i . d >= 0``, ``|d_j| <= 1``
       (``k`` variables; optimum 0 iff no separation);
    2. if positive, the rows: maximise ``sum_i t_i`` s.t. ``y'_i x~_i . d >= t_i``,
       ``0 <= t_i <= 1``, ``d`` free. The separating directions form a convex cone, so one
       direction is strictly positive on the union of the rows any direction separates;
       scaled up it sets ``t_i = 1`` exactly on that largest set;
    3. the features: minimise ``sum_j |d_j|`` (intercept free) s.t. ``y'_i x~_i . d >= 1`` on
       those rows and ``>= 0`` elsewhere, then drop features one at a time (smallest
       ``|d_j|`` first) while this LP stays feasible: an irreducible separating set.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n_samples, n_features)
    y01 : array_like of shape (n_samples,)
        Labels in {0, 1}.
    fit_intercept : bool, default=True
        Whether the model has an intercept (a constant column joins the direction).
    feature_names : sequence of str or None
        Names of the columns; default ``X.columns`` when present, else ``"x0", "x1", ...``.
    sample_weight : array_like of shape (n_samples,) or None
        Rows of weight 0 are ignored.

    Returns
    -------
    SeparationReport
    """
    names = _feature_names(X, feature_names)
    X, y, s = _check_arrays(X, y01, sample_weight)
    return _detect_separation(X, y, s, bool(fit_intercept), names)


def _detect_separation(X, y, s, fit_intercept, names):
    keep = np.flatnonzero(s > 0) if s is not None else np.arange(X.shape[0])
    Xk = X[keep]
    n, p = Xk.shape
    scale = _column_scale(Xk)
    Xs = Xk @ sp.diags(1.0 / scale) if sp.issparse(Xk) else Xk / scale
    sign = 2.0 * y[keep] - 1.0
    if sp.issparse(Xs):
        D = sp.csr_matrix(Xs).multiply(sign[:, None]).tocsr()
        if fit_intercept:
            D = sp.hstack([D, sp.csr_matrix(sign[:, None])]).tocsr()
        colsum = np.asarray(D.sum(axis=0)).ravel()
    else:
        D = Xs * sign[:, None]
        if fit_intercept:
            D = np.column_stack([D, sign])
        colsum = D.sum(axis=0)
    k = D.shape[1]

    # 1. screen, k variables and n constraints: fast even for 1e5 rows.
    res = linprog(-colsum, A_ub=-D, b_ub=np.zeros(n), bounds=[(-1.0, 1.0)] * k, method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * max(1.0, float(np.abs(colsum).max(initial=0))):
        return SeparationReport(False, None, n_rows=n)

    # 2. the largest set of separated rows.
    Ds = sp.csr_matrix(D)
    A = sp.hstack([-Ds, sp.identity(n, format="csr")]).tocsr()
    c = np.concatenate([np.zeros(k), -np.ones(n)])
    bounds = [(None, None)] * k + [(0.0, 1.0)] * n
    res = linprog(c, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - the LP is feasible (d = 0) and bounded
        return SeparationReport(False, None, n_rows=n)
    t = res.x[k:]
    in_set = t > 0.5
    if not np.any(in_set):
        return SeparationReport(False, None, n_rows=n)
    kind = "complete" if np.all(in_set) else "quasi-complete"

    # 3. a sparse direction: minimum L1 norm, then greedy backward elimination of features
    #    (least weight first) while the same rows stay separated: an irreducible set.
    margin = in_set.astype(np.float64)
    active = np.ones(p, dtype=bool)
    found = _min_l1_direction(Ds, p, fit_intercept, margin, active)
    if found is None:  # pragma: no cover - feasible by step 2; fall back to its direction
        found = (res.x[:p], res.x[p:k])
    d_scaled, d_b = found
    support = _support(d_scaled)
    if 1 < support.sum() <= _MAX_PRUNE:
        for j in np.argsort(np.abs(d_scaled)):
            if not support[j] or support.sum() <= 1:
                continue
            trial = support.copy()
            trial[j] = False
            found = _min_l1_direction(Ds, p, fit_intercept, margin, trial)
            if found is not None:
                d_scaled, d_b = found
                support = trial & _support(d_scaled)
    idx = tuple(int(j) for j in np.flatnonzero(support))
    direction = np.concatenate([d_scaled / scale, d_b])
    top = np.max(np.abs(direction))
    if top > 0:
        direction = direction / top
    return SeparationReport(
        separated=True,
        kind=kind,
        features=tuple(names[j] for j in idx),
        feature_indices=idx,
        rows=keep[in_set],
        direction=direction,
        n_rows=n,
    )


def _support(d):
    big = np.max(np.abs(d), initial=0.0)
    return np.abs(d) > 1e-7 * big if big > 0 else np.zeros(d.shape[0], dtype=bool)


def _min_l1_direction(Ds, p, fit_intercept, margin, active):
    """``min sum_j |d_j|`` over the ``active`` features s.t. ``Ds d >= margin``; None if infeasible.

    ``Ds`` holds the rows ``y'_i x~_i`` (scaled columns, intercept last when fitted); the
    intercept is free and costs nothing. Inactive features are fixed at 0.
    """
    cols = np.flatnonzero(active)
    F = Ds[:, cols]
    if fit_intercept:
        A = sp.hstack([-F, F, -Ds[:, p:]]).tocsr()
        c = np.concatenate([np.ones(2 * cols.size), [0.0]])
        bounds = [(0.0, None)] * (2 * cols.size) + [(None, None)]
    else:
        A = sp.hstack([-F, F]).tocsr()
        c = np.ones(2 * cols.size)
        bounds = [(0.0, None)] * (2 * cols.size)
    res = linprog(c, A_ub=A, b_ub=-margin, bounds=bounds, method="highs")
    if res.status != 0:
        return None
    d = np.zeros(p)
    d[cols] = res.x[: cols.size] - res.x[cols.size : 2 * cols.size]
    return d, res.x[2 * cols.size :]


def _column_scale(X):
    if sp.issparse(X):
        scale = (
            np.asarray(abs(X).max(axis=0).toarray()).ravel() if X.shape[0] else np.ones(X.shape[1])
        )
    else:
        scale = np.max(np.abs(X), axis=0, initial=0.0)
    scale = np.asarray(scale, dtype=np.float64)
    scale[scale == 0] = 1.0
    return scale
