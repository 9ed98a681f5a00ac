"""The result of :func:`logistic.inference.inference` and
:func:`logistic.inference.multinomial_inference`: estimates, standard errors, tests and
likelihood statistics, and their plain-data form."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import stats

from .._validation import check_real
from ..errors import DataError
from ._reference import label_text
from ._separation import SeparationReport
from ._summary import InferenceSummary

_COV_DESCRIPTIONS = {
    "nonrobust": "inverse information I^-1 (correctly specified model, independent rows)",
    "HC0": "heteroscedasticity robust sandwich HC0 (independent rows)",
    "HC1": "heteroscedasticity robust sandwich HC1 = HC0 * n/(n-k) (independent rows)",
    "cluster": "cluster robust sandwich CRV1, G/(G-1)*(n-1)/(n-k) (independent groups)",
}
#: The scalar statistics of ``as_dict()`` besides ``alpha`` and ``C``, in its order.
STATISTICS = (
    "nobs",
    "df_model",
    "df_resid",
    "llf",
    "llnull",
    "llr",
    "llr_pvalue",
    "prsquared",
    "aic",
    "bic",
    "edf",
    "max_abs_gradient",
    "newton_step_se",
)
#: The fields of each parameter's entry in ``as_dict()["params"]``.
PARAM_FIELDS = ("coef", "std_err", "z", "p_value", "ci_low", "ci_high")


class InferenceResult:
    """Coefficients with standard errors, tests, intervals and likelihood statistics.

    Built by :func:`~logistic.inference.inference` (binary) or
    :func:`~logistic.inference.multinomial_inference` (against a reference class), or read
    back from its plain data by :meth:`from_dict`; all arrays have one entry per parameter,
    in the order of ``names`` (features, then ``"intercept"``; for a multinomial result one
    such block per class but the reference, named ``"<class>:<feature>"``).

    Attributes
    ----------
    names : list of str
    reference : label or None
        The reference class of a multinomial result (None: a binary one).
    equations : list or None
        The class of each parameter of a multinomial result (its log-odds against
        ``reference``); None for a binary one. The pandas objects are then indexed by
        ``(class, feature)``.
    params : ndarray of shape (k,)
    cov_params : ndarray of shape (k, k) or None
        None only when read back by :meth:`from_dict` from data without it.
    bse : ndarray of shape (k,)
        Standard errors ``sqrt(diag(cov_params))``.
    zvalues : ndarray of shape (k,)
        ``params / bse``.
    pvalues : ndarray of shape (k,)
        Two-sided normal p-values ``2 Phi(-|z|)``.
    alpha : float
        Default level of :meth:`conf_int` and :meth:`summary`.
    cov_type : str
    cov_info : dict
        ``n_groups`` and ``correction`` (the small-sample factor) where they apply.
    penalized : bool
        True for a finite-``C`` fit (penalised sandwich, opt-in).
    C : float
    nobs : float
        ``n = sum of weights`` (rows when unweighted).
    n_rows : int or None
        None only when read back from data without it.
    df_model : float
        ``k - 1`` (``edf - 1`` when penalised): the parameters beyond the intercept-only
        null model, also without ``fit_intercept`` (statsmodels' convention); the degrees of
        freedom of the likelihood-ratio test.
    df_resid : float
        ``nobs - k`` (``nobs - edf``).
    llf, llnull : float
        Log-likelihood at ``params`` and of the intercept-only model (with the offset).
    llr, llr_pvalue : float
        ``2 (llf - llnull)`` and its chi-squared(df_model) upper tail.
    prsquared : float
        McFadden's pseudo R^2, ``1 - llf / llnull``.
    aic, bic : float
        ``-2 llf + 2 k`` and ``-2 llf + k log(nobs)`` (``k`` = number of parameters,
        ``edf`` when penalised).
    edf : float
        Effective number of parameters, ``trace(B^-1 I)`` (``k`` when unpenalised).
    information : ndarray of shape (k, k) or None
        ``I = X~^T diag(s a (1 - a)) X~`` (not part of :meth:`as_dict`: None when read
        back).
    max_abs_gradient : float
        ``max |grad f|`` of the mean-form objective at ``params`` (the solver's ``tol``).
    newton_step_se : float
        ``max_j |(B^-1 g)_j| / bse_j``: how many standard errors one Newton step would move
        the estimate (0 at the exact optimum). A
        :class:`~logistic.errors.ConvergenceWarning` is issued above 0.01.
    rcond : float
        Reciprocal condition number of the scaled bread matrix (NaN when read back).
    separation : SeparationReport or None
        Set when the separation check ran.
    separation_class : label or None
        The class ``separation`` is about (against the others), for a multinomial result.
    """

    def __init__(
        self,
        fit,
        cov,
        cov_type,
        cov_info,
        alpha,
        separation,
        llnull,
        dep_var,
        *,
        equations=None,
        reference=None,
        separation_class=None,
    ):
        self.names = list(fit.names)
        self.equations = None if equations is None else list(equations)
        self.reference = reference
        self.separation_class = separation_class
        self.params = fit.params
        self.cov_params = cov
        self.cov_type = cov_type
        self.cov_info = dict(cov_info)
        self.alpha = float(alpha)
        self.penalized = bool(np.any(fit.penalty))
        self.C = float(fit.C)
        self.fit_intercept = fit.fit_intercept
        self.nobs = fit.nobs
        self.n_rows = fit.n_rows
        self.information = fit.H
        self.rcond = fit.rcond
        self.separation = separation
        self.dep_var = dep_var
        self.units = "as fitted"  # per unit of the design's columns ("per unit": per_unit)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.bse = np.sqrt(np.clip(np.diag(cov), 0.0, None))
            self.zvalues = self.params / self.bse
            step = fit.bread_inv @ fit.grad
            self.newton_step_se = float(np.max(np.abs(step) / self.bse, initial=0.0))
        self.pvalues = 2.0 * stats.norm.sf(np.abs(self.zvalues))
        self.max_abs_gradient = float(np.max(np.abs(fit.grad), initial=0.0) / fit.nobs)
        k = fit.k
        self.edf = float(np.trace(fit.bread_inv @ fit.H)) if self.penalized else float(k)
        # statsmodels: df_model = (parameters) - (intercepts of the constant-only null
        # model: one, or K - 1 for MNLogit), with or without an intercept in the model.
        self.df_model = self.edf - self.n_equations
        self.df_resid = self.nobs - self.edf
        self.llf = float(fit.llf)
        self.llnull = float(llnull)
        self.llr = 2.0 * (self.llf - self.llnull)
        self.llr_pvalue = (
            float(stats.chi2.sf(self.llr, self.df_model)) if self.df_model > 0 else float("nan")
        )
        self.prsquared = 1.0 - self.llf / self.llnull if self.llnull != 0 else float("nan")
        self.aic = -2.0 * self.llf + 2.0 * self.edf
        self.bic = -2.0 * self.llf + self.edf * np.log(self.nobs)

    @classmethod
    def from_dict(cls, d):
        """Rebuild a result from the plain data of :meth:`as_dict`, as stored in a model file.

        Model files write non-finite numbers as null (JSON has no NaN or infinity); a null
        number is read back as NaN, except a null ``C`` of an unpenalised result, which is
        ``inf``. The estimates, standard errors, z and p-values are taken as stored, the
        intervals are recomputed by :meth:`conf_int` from ``params`` and ``bse`` (so
        ``summary(alpha=...)`` works at any level), and ``cov_params`` is restored when
        present. ``information`` (not stored) is None and ``rcond`` NaN. Thus
        ``str(from_dict(r.as_dict()).summary()) == str(r.summary())`` and ``as_dict()``
        returns the same data (up to null for NaN).

        Parameters
        ----------
        d : mapping
            The output of :meth:`as_dict`, possibly after a JSON round trip. ``cov_type``,
            ``penalized``, ``alpha`` and ``params`` (one mapping of ``coef``, ``std_err``,
            ``z``, ``p_value``, ``ci_low``, ``ci_high`` per parameter) are required; a
            missing statistic is NaN.

        Returns
        -------
        InferenceResult

        Raises
        ------
        logistic.errors.DataError
            ``d`` is not of that form.
        """
        if not isinstance(d, Mapping):
            raise DataError(
                f"d is a {type(d).__name__}; from_dict accepts the mapping returned by "
                "InferenceResult.as_dict()."
            )
        missing = [key for key in ("cov_type", "penalized", "alpha", "params") if key not in d]
        if missing:
            raise DataError(
                f"d has no {missing}; from_dict accepts the mapping returned by "
                "InferenceResult.as_dict()."
            )
        if d["cov_type"] not in _COV_DESCRIPTIONS:
            raise DataError(
                f"d['cov_type'] is {d['cov_type']!r}; it accepts one of {list(_COV_DESCRIPTIONS)}."
            )
        if not isinstance(d["penalized"], bool | np.bool_):
            raise DataError(f"d['penalized'] is {d['penalized']!r}; it accepts True or False.")
        alpha = _number(d["alpha"], "d['alpha']")
        if not 0.0 < alpha < 1.0:
            raise DataError(f"d['alpha'] is {d['alpha']!r}; it accepts a number in (0, 1).")
        params = d["params"]
        if not isinstance(params, Mapping) or not params:
            raise DataError("d['params'] accepts a non-empty mapping of parameter name to fields.")
        for name, entry in params.items():
            if not isinstance(entry, Mapping) or not all(f in entry for f in PARAM_FIELDS):
                raise DataError(
                    f"d['params'][{name!r}] accepts a mapping with the fields {list(PARAM_FIELDS)}."
                )

        self = cls.__new__(cls)
        self.names = [str(name) for name in params]
        k = len(self.names)

        def column(field):
            return np.array(
                [_number(params[n][field], f"d['params'][{n!r}][{field!r}]") for n in params],
                dtype=np.float64,
            )

        self.params = column("coef")
        self.bse = column("std_err")
        self.zvalues = column("z")
        self.pvalues = column("p_value")
        cov = d.get("cov_params")
        if cov is None:
            self.cov_params = None
        else:
            if not (
                isinstance(cov, list | tuple)
                and len(cov) == k
                and all(isinstance(row, list | tuple) and len(row) == k for row in cov)
            ):
                raise DataError(f"d['cov_params'] accepts None or {k} rows of {k} numbers.")
            self.cov_params = np.array(
                [[_number(v, "d['cov_params']") for v in row] for row in cov], dtype=np.float64
            ).reshape(k, k)
        self.cov_type = d["cov_type"]
        self.cov_info = {
            str(key): _number(v, f"d['cov_info'][{key!r}]")
            for key, v in (d.get("cov_info") or {}).items()
        }
        self.alpha = alpha
        self.penalized = bool(d["penalized"])
        C = d.get("C")
        # An unpenalised fit has C = inf, which a model file writes as null.
        self.C = (math.nan if self.penalized else math.inf) if C is None else _number(C, "d['C']")
        for key in STATISTICS:
            setattr(self, key, _number(d.get(key), f"d[{key!r}]"))
        n_rows = d.get("n_rows")
        self.n_rows = None if n_rows is None else int(_number(n_rows, "d['n_rows']"))
        self.information = None
        self.rcond = math.nan
        sep = d.get("separation")
        self.separation = None if sep is None else SeparationReport.from_dict(sep)
        self.dep_var = d.get("dep_var", "y")
        self.units = d.get("units", "as fitted")
        self.reference = d.get("reference")
        self.separation_class = d.get("separation_class")
        self.equations = None
        if "reference" in d:
            eqs = d.get("equations")
            if not isinstance(eqs, list | tuple) or len(eqs) != k:
                raise DataError(
                    f"d['equations'] accepts the class of each of the {k} parameters of a "
                    "result with a reference class."
                )
            self.equations = list(eqs)
        self.fit_intercept = self.features[-1] == "intercept"
        return self

    @property
    def n_equations(self) -> int:
        """The classes with coefficients: ``K - 1`` against the reference, else 1."""
        return 1 if self.equations is None else len(dict.fromkeys(map(label_text, self.equations)))

    @property
    def features(self) -> list[str]:
        """The feature of each parameter (``names`` without the class of a multinomial one)."""
        if self.equations is None:
            return list(self.names)
        return [
            n[len(label_text(c)) + 1 :] for n, c in zip(self.names, self.equations, strict=True)
        ]

    def _index(self, name=None):
        """The pandas index of the parameters: names, or ``(class, feature)`` pairs."""
        import pandas as pd

        if self.equations is None:
            return pd.Index(self.names, name=name)
        return pd.MultiIndex.from_arrays(
            [self.equations, self.features], names=[self.dep_var, "feature"]
        )

    def per_unit(self, means, scales):
        """The same fit with its coefficients per unit of each input.

        A fit on standardised inputs ``x'_j = (x_j - m_j) / s_j`` has the coefficients
        ``beta'_j`` per standard deviation; on the inputs themselves the same model is
        ``beta_j = beta'_j / s_j`` and ``b = b' - sum_j beta'_j m_j / s_j``. That map
        ``theta = T theta'`` is linear, so the covariance is ``T cov T^T`` (the delta
        method is exact here) and the likelihood statistics do not change; z and p-values
        of the slopes are unchanged, the intercept's are those of the new intercept.

        Parameters
        ----------
        means, scales : array_like of shape (n_features,)
            ``m_j`` and ``s_j`` of each feature, in the order of ``names`` (of each class's
            block of a multinomial result, to which the same map applies); 0 and 1 for a
            feature used as it is (a one-hot column).

        Returns
        -------
        InferenceResult
            ``params``, ``bse``, ``zvalues``, ``pvalues`` and ``cov_params`` per unit.

        Raises
        ------
        logistic.errors.DataError
            No covariance is stored (a result read from an old file), the lengths do not
            match, or a feature has a nonzero mean in a fit without an intercept.
        """
        if self.cov_params is None:
            raise DataError(
                "this result has no covariance matrix (cov_params), which per_unit needs to "
                "carry the standard errors over; compute the inference again."
            )
        k = len(self.names)
        blocks = self.n_equations
        p = k // blocks - int(self.fit_intercept)
        means = np.asarray(means, dtype=np.float64).ravel()
        scales = np.asarray(scales, dtype=np.float64).ravel()
        if means.shape != (p,) or scales.shape != (p,) or not np.all(scales > 0):
            raise DataError(
                f"per_unit needs {p} means and {p} positive scales (one per feature), got "
                f"{means.shape[0]} and {scales.shape[0]}."
            )
        if not self.fit_intercept and np.any(means != 0):
            raise DataError(
                "a fit without an intercept cannot absorb the features' means; per_unit "
                "accepts means of 0 then."
            )
        T = np.eye(k // blocks)
        T[np.arange(p), np.arange(p)] = 1.0 / scales
        if self.fit_intercept:
            T[p, :p] = -means / scales
        T = np.kron(np.eye(blocks), T)  # the same map in every class's block
        out = object.__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.params = T @ self.params
        out.cov_params = T @ self.cov_params @ T.T
        with np.errstate(divide="ignore", invalid="ignore"):
            out.bse = np.sqrt(np.clip(np.diag(out.cov_params), 0.0, None))
            out.zvalues = out.params / out.bse
        out.pvalues = 2.0 * stats.norm.sf(np.abs(out.zvalues))
        out.information = (
            None
            if self.information is None
            else (np.linalg.inv(T).T @ self.information @ np.linalg.inv(T))
        )
        out.units = "per unit"
        return out

    def conf_int(self, alpha=None):
        """Normal intervals ``params -/+ Phi^-1(1 - alpha/2) bse``, shape (k, 2)."""
        alpha = (
            self.alpha
            if alpha is None
            else check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
        )
        q = stats.norm.ppf(1.0 - alpha / 2.0)
        return np.column_stack([self.params - q * self.bse, self.params + q * self.bse])

    def select(self, names):
        """The same fit restricted to the parameters ``names`` (in that order), e.g. the
        largest ``|z|`` of a wide model for a readable table; likelihood statistics are
        the whole fit's. A multinomial result also takes ``(class, feature)`` pairs."""
        names = [f"{label_text(n[0])}:{n[1]}" if isinstance(n, tuple) else n for n in names]
        where = {n: j for j, n in enumerate(self.names)}
        unknown = [n for n in names if n not in where]
        if unknown:
            raise DataError(f"select: {unknown[:3]!r} are not parameters of this result.")
        idx = np.asarray([where[n] for n in names], dtype=np.intp)
        out = object.__new__(type(self))
        out.__dict__.update(self.__dict__)
        out.names = [self.names[j] for j in idx]
        if self.equations is not None:
            out.equations = [self.equations[j] for j in idx]
        for key in ("params", "bse", "zvalues", "pvalues"):
            setattr(out, key, getattr(self, key)[idx])
        if self.cov_params is not None:
            out.cov_params = self.cov_params[np.ix_(idx, idx)]
        out.information = None
        return out

    def summary_frame(self, alpha=None):
        """The coefficient table as a pandas DataFrame indexed by parameter name (by
        ``(class, feature)`` for a multinomial result): columns ``coef``, ``std err``, ``z``,
        ``P>|z|`` and the interval's ``[alpha/2`` and ``1-alpha/2]`` bounds (statsmodels'
        ``summary2().tables[1]`` layout). Needs pandas."""
        import pandas as pd

        alpha = self.alpha if alpha is None else alpha
        ci = self.conf_int(alpha)
        lo, hi = f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"
        return pd.DataFrame(
            {
                "coef": self.params,
                "std err": self.bse,
                "z": self.zvalues,
                "P>|z|": self.pvalues,
                lo: ci[:, 0],
                hi: ci[:, 1],
            },
            index=self._index(self.dep_var),
        )

    def to_pandas(self) -> dict:
        """``params``, ``bse``, ``zvalues``, ``pvalues`` as pandas Series and ``conf_int``
        and ``cov_params`` as DataFrames, indexed by parameter name (statsmodels' types);
        the attributes themselves stay NumPy arrays. A multinomial result's index is the
        pairs ``(class, feature)``: ``params.unstack(0)`` is statsmodels' ``MNLogit``
        table (features by classes). Needs pandas."""
        import pandas as pd

        index = self._index()
        out = {
            key: pd.Series(getattr(self, key), index=index, name=key)
            for key in ("params", "bse", "zvalues", "pvalues")
        }
        out["conf_int"] = pd.DataFrame(self.conf_int(), index=index, columns=[0, 1])
        if self.cov_params is not None:
            out["cov_params"] = pd.DataFrame(self.cov_params, index=index, columns=index)
        return out

    @property
    def method(self) -> str:
        return f"penalised MLE (L2, C={self.C:g})" if self.penalized else "MLE"

    @property
    def cov_description(self) -> str:
        text = _COV_DESCRIPTIONS[self.cov_type]
        if self.penalized:
            text = (
                f"penalised sandwich (I + P/C)^-1 M (I + P/C)^-1 with M of {self.cov_type}: "
                "variability of the biased penalised estimator, not its error"
            )
        return text

    def summary(self, alpha=None, title=None):
        """A :class:`InferenceSummary` whose ``str()`` is a statsmodels-style Logit table."""
        return InferenceSummary(self, self.alpha if alpha is None else alpha, title)

    def _repr_html_(self):
        """A notebook's view: the likelihood statistics and the coefficient table."""
        from .._report._notebook import inference_html

        return inference_html(self)

    def as_dict(self, alpha=None) -> dict:
        """All results as plain Python data (floats, lists, dicts): JSON-serialisable."""
        alpha = self.alpha if alpha is None else alpha
        ci = self.conf_int(alpha)
        return {
            "dep_var": self.dep_var,
            "units": self.units,
            "method": self.method,
            "cov_type": self.cov_type,
            "cov_description": self.cov_description,
            "cov_info": {k: float(v) for k, v in self.cov_info.items()},
            "penalized": self.penalized,
            "C": self.C,
            "alpha": float(alpha),
            "nobs": self.nobs,
            "n_rows": None if self.n_rows is None else int(self.n_rows),
            "df_model": self.df_model,
            "df_resid": self.df_resid,
            "llf": self.llf,
            "llnull": self.llnull,
            "llr": self.llr,
            "llr_pvalue": self.llr_pvalue,
            "prsquared": self.prsquared,
            "aic": self.aic,
            "bic": self.bic,
            "edf": self.edf,
            "max_abs_gradient": self.max_abs_gradient,
            "newton_step_se": self.newton_step_se,
            "params": {
                name: {
                    "coef": float(self.params[j]),
                    "std_err": float(self.bse[j]),
                    "z": float(self.zvalues[j]),
                    "p_value": float(self.pvalues[j]),
                    "ci_low": float(ci[j, 0]),
                    "ci_high": float(ci[j, 1]),
                }
                for j, name in enumerate(self.names)
            },
            "cov_params": None if self.cov_params is None else self.cov_params.tolist(),
            "separation": None if self.separation is None else self.separation.as_dict(),
            **self._reference_dict(),
        }

    def _reference_dict(self) -> dict:
        """The reference class and each parameter's class (only for such a result: a
        binary block without them keeps the classic layout of model files)."""
        if self.reference is None:
            return {}
        return {
            "reference": self.reference,
            "equations": list(self.equations),
            "separation_class": self.separation_class,
        }

    def __repr__(self):
        against = "" if self.reference is None else f", reference={self.reference!r}"
        return (
            f"<InferenceResult: {len(self.names)} parameters, cov_type={self.cov_type!r}, "
            f"llf={self.llf:.6g}{against}>"
        )


def _number(v, where):
    """A stored number as a float; null (None) is NaN."""
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise DataError(f"{where} is {v!r}; it accepts a number or None.")
    return float(v)
