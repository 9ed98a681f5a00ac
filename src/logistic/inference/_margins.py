"""Marginal effects of a binary or multinomial fit: how the probabilities move with each
input, with delta-method standard errors (statsmodels' ``get_margeff`` for continuous inputs,
of ``Logit`` and ``MNLogit``).

With ``a_i = sigmoid(x_i . beta + b)`` the effect of input ``j`` on row ``i``'s
probability is ``da_i / dx_ij = a_i (1 - a_i) beta_j``. Two summaries:

* ``at="overall"`` (the average marginal effect): ``AME_j = (1/n) sum_i a_i (1 - a_i)
  beta_j``;
* ``at="mean"`` (at the means): ``a(xbar) (1 - a(xbar)) beta_j``, one row at the column
  means.

Each is a smooth function ``g(theta)`` of the parameters ``theta = (beta, b)``; its
covariance is ``J cov(theta) J^T`` with the Jacobian ``J = dg / dtheta`` (the delta
method): with ``w_i = a_i (1 - a_i)`` and ``w'_i = w_i (1 - 2 a_i)``,
``dAME_j / dtheta_k = (1/n) sum_i (w_i [j = k] + beta_j w'_i x_ik)`` (``x_i`` extended by
1 for the intercept), and the same at one row ``xbar`` for ``at="mean"``.

A multinomial result (contrasts ``beta_m`` against the reference ``r``, ``beta_r = 0``) has
an effect of each input on every class's probability: with ``a_ic`` the softmax and
``bbar_ij = sum_l a_il beta_lj``, ``da_ic / dx_ij = a_ic (beta_cj - bbar_ij)``, averaged as
above. With ``G_icj = beta_cj - bbar_ij`` its derivative in ``beta_mf`` is the mean over the
rows of ``a_ic (delta_cm - a_im) x~_if G_icj - a_ic a_im x~_if G_imj + [f = j] a_ic (delta_cm
- a_im)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

from ..errors import DataError

__all__ = ["MarginalEffects", "marginal_effects"]


@dataclass(frozen=True)
class MarginalEffects:
    """Marginal effects on the probability of the positive class, one per feature (of
    each class, the reference first, for a multinomial result).

    Attributes
    ----------
    names : list of str
        The features; ``"<class>:<feature>"`` for a multinomial result.
    effects, bse, zvalues, pvalues : ndarray of shape (n_effects,)
    at : {"overall", "mean"}
    alpha : float
    equations : list or None
        The class of each effect of a multinomial result (the summary frame is then
        indexed by ``(class, feature)``); None for a binary one.
    """

    names: list
    effects: np.ndarray
    bse: np.ndarray
    zvalues: np.ndarray
    pvalues: np.ndarray
    at: str
    alpha: float
    equations: list | None = None

    def conf_int(self, alpha=None):
        """Normal intervals ``effects -/+ Phi^-1(1 - alpha/2) bse``, shape (n_effects, 2)."""
        q = stats.norm.ppf(1.0 - (self.alpha if alpha is None else alpha) / 2.0)
        return np.column_stack([self.effects - q * self.bse, self.effects + q * self.bse])

    def summary_frame(self):
        """A pandas DataFrame indexed by feature, or by ``(class, feature)`` (statsmodels'
        ``summary_frame`` columns)."""
        import pandas as pd

        ci = self.conf_int()
        lo, hi = "Conf. Int. Low", "Cont. Int. Hi."  # statsmodels' column names, as spelled
        return pd.DataFrame(
            {
                "dy/dx": self.effects,
                "Std. Err.": self.bse,
                "z": self.zvalues,
                "Pr(>|z|)": self.pvalues,
                lo: ci[:, 0],
                hi: ci[:, 1],
            },
            index=pd.Index(self.names)
            if self.equations is None
            else pd.MultiIndex.from_arrays(
                [self.equations, [n.split(":", 1)[1] for n in self.names]]
            ),
        )


def marginal_effects(X, result, *, at="overall", offset=None) -> MarginalEffects:
    """Marginal effects of the fit ``result`` on the rows ``X`` (binary: on the positive
    class's probability; multinomial: on each class's, the reference first).

    Parameters
    ----------
    X : array_like or sparse matrix of shape (n_samples, n_features)
        The rows the effects are averaged over (the training rows for statsmodels'
        numbers), in the units of ``result``'s coefficients: the design the fit saw, or
        the raw inputs for a result made :meth:`~InferenceResult.per_unit`.
    result : InferenceResult
        With ``cov_params`` (names: the features, then ``"intercept"`` if fitted; one such
        block per class of a multinomial result).
    at : {"overall", "mean"}, default="overall"
        The average marginal effect, or the effect at the column means of ``X``.
    offset : array_like of shape (n_samples,) or None
        The fit's offset, added to each row's logit (binary results only).

    Returns
    -------
    MarginalEffects
    """
    if at not in ("overall", "mean"):
        raise DataError(f"at={at!r} is not accepted; at accepts 'overall' or 'mean'.")
    if result.cov_params is None:
        raise DataError("marginal effects need the result's covariance matrix (cov_params).")
    if not sp.issparse(X):
        X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise DataError(f"X has {X.ndim} dimensions; marginal_effects accepts 2.")
    k = len(result.names)
    p = k // result.n_equations - int(result.fit_intercept)
    if offset is not None and result.equations is not None:
        raise DataError("offset is accepted for the marginal effects of binary results only.")
    if offset is not None:
        offset = np.asarray(offset, dtype=np.float64).ravel()
        if offset.shape != (X.shape[0],):
            raise DataError(
                f"offset has {offset.shape[0]} values but X has {X.shape[0]} rows; offset "
                "accepts one value per row."
            )
    if X.shape[1] != p:
        raise DataError(f"X has {X.shape[1]} columns; this result has {p} features.")
    if result.equations is not None:
        return _multinomial_effects(X, result, p, at)
    beta = np.asarray(result.params[:p], dtype=np.float64)
    b = float(result.params[p]) if result.fit_intercept else 0.0
    X = X.toarray() if sp.issparse(X) and at == "mean" else X
    if at == "mean":
        rows = np.asarray(X, dtype=np.float64).mean(axis=0, keepdims=True)
        off = None if offset is None else np.array([np.mean(offset)])
    else:
        rows, off = X, offset
    z = np.asarray(rows @ beta).ravel() + b
    if off is not None:
        z = z + np.asarray(off, dtype=np.float64).ravel()
    a = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, stable at extreme logits
    w = a * (1.0 - a)
    dw = w * (1.0 - 2.0 * a)
    n = z.shape[0]
    effects = w.mean() * beta
    # J[j, :p] = mean(w) e_j + beta_j mean(w' x), J[j, p] = beta_j mean(w')
    mean_dw_x = np.asarray(rows.T @ dw).ravel() / n
    J = np.zeros((p, k))
    J[:, :p] = np.diag(np.full(p, w.mean())) + np.outer(beta, mean_dw_x)
    if result.fit_intercept:
        J[:, p] = beta * dw.mean()
    cov = J @ result.cov_params @ J.T
    bse = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        zvalues = effects / bse
    return MarginalEffects(
        names=list(result.names[:p]),
        effects=effects,
        bse=bse,
        zvalues=zvalues,
        pvalues=2.0 * stats.norm.sf(np.abs(zvalues)),
        at=at,
        alpha=float(result.alpha),
    )


def _multinomial_effects(X, result, p, at) -> MarginalEffects:
    """The effects on every class's probability (formulas in the module docstring)."""
    from ._reference import label_text

    n_eq, pt = result.n_equations, p + int(result.fit_intercept)
    B = np.vstack([np.zeros(pt), result.params.reshape(n_eq, pt)])  # the reference first
    Xd = X.toarray() if sp.issparse(X) else X
    if at == "mean":
        Xd = Xd.mean(axis=0, keepdims=True)
    Xt = np.column_stack([Xd, np.ones(Xd.shape[0])]) if result.fit_intercept else Xd
    n, K = Xt.shape[0], n_eq + 1
    Z = Xt @ B.T
    A = np.exp(Z - Z.max(axis=1, keepdims=True))
    A /= A.sum(axis=1, keepdims=True)
    W = B[:, :p]
    G = W[None, :, :] - (A @ W)[:, None, :]  # (n, K, p): beta_cj - bbar_ij
    effects = np.einsum("ic,icj->cj", A, G) / n
    J = np.zeros((K, p, n_eq, pt))
    diag = np.arange(p)
    for c in range(K):
        AG = A[:, c : c + 1] * G[:, c, :]
        for e in range(n_eq):
            m = e + 1
            d = float(c == m) - A[:, m]
            own = AG.T @ (d[:, None] * Xt)  # through a_ic
            mean = (A[:, c : c + 1] * A[:, m : m + 1] * G[:, m, :]).T @ Xt  # through bbar_ij
            J[c, :, e, :] = (own - mean) / n
            J[c, diag, e, diag] += np.mean(A[:, c] * d)
    J = J.reshape(K * p, n_eq * pt)
    cov = J @ result.cov_params @ J.T
    bse = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    effects = effects.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        zvalues = effects / bse
    classes = [result.reference, *dict.fromkeys(result.equations)]
    features = result.features[:p]
    return MarginalEffects(
        names=[f"{label_text(c)}:{f}" for c in classes for f in features],
        effects=effects,
        bse=bse,
        zvalues=zvalues,
        pvalues=2.0 * stats.norm.sf(np.abs(zvalues)),
        at=at,
        alpha=float(result.alpha),
        equations=[c for c in classes for _ in features],
    )
