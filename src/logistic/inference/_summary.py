"""A statsmodels-style table of an :class:`~logistic.inference.InferenceResult` (``Logit``'s,
or ``MNLogit``'s one block per class against the reference)."""

from __future__ import annotations

import textwrap

import numpy as np

# A coefficient this many standard errors away from the optimum (one Newton step) means the
# fit had not converged and the standard errors describe the wrong point.
_NEWTON_STEP_WARN = 0.01


def _num(v, width, decimals, fixed=False):
    """Right-aligned fixed-point; 2-3 digit scientific when it would not fit or round to 0.

    ``fixed`` keeps fixed-point always (p-values print as 0.000, as in statsmodels).
    """
    if not np.isfinite(v):
        return f"{v!s:>{width}}"
    text = f"{v:.{decimals}f}"
    if not fixed and (len(text) > width - 1 or (v != 0 and abs(v) < 10.0 ** (-decimals))):
        text = f"{v:.3e}"
        if len(text) > width - 1:
            text = f"{v:.1e}"
    return f"{text:>{width}}"


_UNITS = {
    "per unit": "the change in log-odds for one unit of each input as given (the fit's "
    "standardisation undone)",
    "per sd": "the change in log-odds for one standard deviation of each numeric input "
    "(as the fit standardised them)",
}


class InferenceSummary:
    """A statsmodels-style Logit (or MNLogit) summary; ``str()`` is the table, ``as_dict()``
    the data."""

    _WIDTH = 78

    def __init__(self, result, alpha, title=None):
        self.result = result
        self.alpha = float(alpha)
        self.title = title or "Logistic Regression Results"

    def header(self) -> list[tuple[str, str]]:
        r = self.result
        left = [
            ("Dep. Variable:", str(r.dep_var)),
            ("Model:", "Logit" if r.equations is None else "MNLogit"),
            ("Method:", "Penalised MLE" if r.penalized else "MLE"),
            ("Covariance Type:", r.cov_type),
            ("AIC:", f"{r.aic:#.5g}"),
            ("BIC:", f"{r.bic:#.5g}"),
            ("max|grad|:", f"{r.max_abs_gradient:.2e}"),
        ]
        right = [
            ("No. Observations:", _count(r.nobs)),
            ("Df Residuals:", _count(r.df_resid)),
            ("Df Model:", _count(r.df_model)),
            ("Pseudo R-squ.:", f"{r.prsquared:.4f}"),
            ("Log-Likelihood:", f"{r.llf:#.5g}"),
            ("LL-Null:", f"{r.llnull:#.5g}"),
            ("LLR p-value:", f"{r.llr_pvalue:#.4g}"),
        ]
        return list(zip(left, right, strict=True))

    def notes(self) -> list[str]:
        r = self.result
        out = [f"Covariance: {r.cov_description}."]
        if r.reference is not None:
            ref = r.reference
            out.append(
                f"Reference class: {ref!r}. The coefficients of class k are its log-odds "
                f"against {ref!r}, log(P(k) / P({ref!r})); exp(coef) is the relative risk "
                f"ratio, the factor on the odds of k vs {ref!r}."
            )
        units = getattr(r, "units", "as fitted")
        if units != "as fitted":
            text = _UNITS.get(units, units)
            if r.reference is not None:
                text = text.replace("log-odds", f"log-odds against {r.reference!r}")
            out.append(f"Coefficients {units}: {text}.")
        n_groups = r.cov_info.get("n_groups")
        if n_groups and np.isfinite(n_groups):
            out.append(f"Clusters: {int(n_groups)}.")
        if r.penalized:
            out.append(
                f"Penalised fit (L2, C={r.C:g}): estimates are shrunk towards 0 (biased); "
                "intervals and p-values do not have their nominal coverage."
            )
        if r.separation is not None and r.separation.separated:
            about = r.separation_class
            prefix = "" if about is None else f"Class {about!r} against the others: "
            out.append(prefix + r.separation.message())
        if r.newton_step_se > _NEWTON_STEP_WARN:
            out.append(
                f"The fit is not at the optimum: one Newton step moves a coefficient by "
                f"{r.newton_step_se:.2g} standard errors; refit with a smaller tol."
            )
        return out

    def as_text(self) -> str:
        r = self.result
        W = self._WIDTH
        half = W // 2
        lines = [self.title.center(W).rstrip(), "=" * W]
        for (k1, v1), (k2, v2) in self.header():
            a = f"{k1} {v1:>{half - len(k1) - 3}}"
            b = f"{k2} {v2:>{W - half - len(k2) - 2}}"
            lines.append(f"{a}  {b}")
        lines.append("=" * W)
        lo = f"[{self.alpha / 2:.3f}"
        hi = f"{1 - self.alpha / 2:.3f}]"
        shown = r.features
        blocks = _blocks(r)
        titles = ["" if c is None else f"{r.dep_var}={c}" for c, _ in blocks]
        name_w = max(W - 62, *(len(n) + 1 for n in [*shown, *titles]))
        rule = "-" * max(W, name_w + 62)
        ci = r.conf_int(self.alpha)
        for b, (title, (_, rows)) in enumerate(zip(titles, blocks, strict=True)):
            if b:
                lines.append(rule)
            lines.append(
                f"{title:<{name_w}}{'coef':>10}{'std err':>10}{'z':>10}{'P>|z|':>10}"
                f"{lo:>11}{hi:>11}"
            )
            lines.append(rule)
            lines.extend(self._row(r, j, shown[j], name_w, ci) for j in rows)
        lines.append("=" * max(W, name_w + 62))
        for note in self.notes():
            lines.extend(_wrap(note, W))
        return "\n".join(lines)

    @staticmethod
    def _row(r, j, name, name_w, ci) -> str:
        return (
            f"{name:<{name_w}}"
            + _num(r.params[j], 10, 4)
            + _num(r.bse[j], 10, 3)
            + _num(r.zvalues[j], 10, 3)
            + _num(r.pvalues[j], 10, 3, fixed=True)
            + _num(ci[j, 0], 11, 3)
            + _num(ci[j, 1], 11, 3)
        )

    def as_dict(self) -> dict:
        """The summary's data: header pairs, one row per parameter, notes (plain Python)."""
        r = self.result
        ci = r.conf_int(self.alpha)
        header = {}
        for (k1, v1), (k2, v2) in self.header():
            header[k1.rstrip(":")] = v1
            header[k2.rstrip(":")] = v2
        return {
            "title": self.title,
            "header": header,
            "columns": [
                "coef",
                "std err",
                "z",
                "P>|z|",
                f"[{self.alpha / 2:.3f}",
                f"{1 - self.alpha / 2:.3f}]",
            ],
            "rows": [
                [
                    name,
                    float(r.params[j]),
                    float(r.bse[j]),
                    float(r.zvalues[j]),
                    float(r.pvalues[j]),
                    float(ci[j, 0]),
                    float(ci[j, 1]),
                ]
                for j, name in enumerate(r.names)
            ],
            "notes": self.notes(),
        }

    def __str__(self):
        return self.as_text()

    def __repr__(self):
        return self.as_text()


def _blocks(r) -> list[tuple[object, list[int]]]:
    """``(class, parameter indices)`` of each run of one class's parameters (statsmodels'
    MNLogit blocks); one block of class None for a binary result."""
    if r.equations is None:
        return [(None, list(range(len(r.names))))]
    out = []
    for j, c in enumerate(r.equations):
        if out and out[-1][0] == c:
            out[-1][1].append(j)
        else:
            out.append((c, [j]))
    return out


def _count(v):
    """An observation count: an integer when whole, else 4 decimals (weights, edf)."""
    return f"{round(v)}" if float(v).is_integer() else f"{v:.4f}"


def _wrap(text, width):
    return textwrap.wrap(text, width) or [""]
