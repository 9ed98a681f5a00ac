r"""Statistical inference for a fitted logistic regression, matching statsmodels' conventions.

Everything here is a pure function of the data and a fitted ``(coef, intercept)``; nothing
refits. With rows ``x_i`` (n_features,), labels ``y_i`` in {0, 1}, frequency weights
``s_i >= 0``, an optional offset ``o_i`` and the design ``x~_i = [x_i, 1]`` (the intercept is
the *last* parameter, as in :mod:`logistic.objective`; without ``fit_intercept`` it is
dropped), the model is::

    z_i = x~_i . beta + o_i,        a_i = sigmoid(z_i)

    log-likelihood     l(beta) = sum_i s_i [y_i z_i - log(1 + exp(z_i))]
                               = -sum_i s_i bce(y_i, z_i)
    score (gradient)   U(beta) = sum_i s_i (y_i - a_i) x~_i
    information        I(beta) = -d^2 l / d beta^2 = X~^T diag(s a (1 - a)) X~     (k, k)

``I`` is the kernel's Hessian sum (:mod:`logistic._kernel`, ``need_hess=True``,
fed block by block by :class:`logistic.sources.InMemorySource`); it is not re-derived here.
``k = n_features + fit_intercept`` and ``n = sum_i s_i`` (weights are *frequency* weights:
an integer weight is the same as repeating the row, so ``n`` counts observations, not rows).

Covariances (``cov_type``), all of the sandwich form ``B^-1 M B^-1`` with the bread
``B = I(beta)`` (plus the penalty for an opted-in penalised fit, see below):

``"nonrobust"``
    ``M = I``, so ``Cov = I^-1``: the inverse observed (= expected, for the canonical logit
    link) information. Assumes the model is correctly specified and the observations are
    independent. Equals statsmodels' ``Logit.fit()`` and ``GLM(Binomial).fit()``.
``"HC0"``
    ``M = sum_i s_i (y_i - a_i)^2 x~_i x~_i^T`` (White / Huber). Assumes only independence;
    consistent under misspecification of the variance. Equals statsmodels'
    ``cov_type="HC0"`` (for ``GLM(freq_weights=s)`` too: the meat counts each row ``s_i``
    times, not ``s_i^2``).
``"HC1"``
    ``HC0 * n / (n - k)``. This is the small-sample factor of statsmodels' own
    ``sandwich_covariance.cov_white_simple(res, use_correction=True)`` and of its OLS
    ``HC1``. Caution: statsmodels' ``Logit.fit(cov_type="HC1")`` and
    ``GLM.fit(cov_type="HC1")`` (checked with 0.15.0) silently return HC0 for these models (their
    ``get_robustcov_results`` calls ``cov_white_simple(use_correction=False)``); we apply
    the factor, as the name promises.
``"cluster"``
    ``M = sum_g U_g U_g^T`` with ``U_g = sum_{i in g} s_i (y_i - a_i) x~_i`` over the ``G``
    groups, times statsmodels' default (CRV1) correction ``G / (G - 1) * (n - 1) / (n - k)``.
    Assumes independence *between* groups only. Equals statsmodels'
    ``cov_type="cluster", cov_kwds={"groups": groups}`` for unit weights. With frequency
    weights we take ``n = sum s_i`` (the repeated-rows convention, so that integer weights
    equal repeated rows), while statsmodels' GLM takes the number of rows in this factor.

Standard errors are ``sqrt(diag(Cov))``, ``z = beta / se``, two-sided p-values
``2 * (1 - Phi(|z|))`` and intervals ``beta -/+ Phi^-1(1 - alpha/2) se`` (normal, as
statsmodels' discrete models; no t distribution).

Penalised fits. A fit with finite ``C`` minimises ``-l(beta) + ||w||^2 / (2 C)`` (the
intercept is never penalised; in the library's mean form this is the L2 strength
``lambda = 1 / (C sum_i s_i)``). Its estimate is *biased* towards 0, so ``I^-1`` is not its
covariance and intervals centred on it do not have their nominal coverage. By default we
therefore refuse (:class:`~logistic.errors.InvalidParameterError`). With
``penalized="sandwich"`` we return the covariance of the penalised estimator *around its
own expectation* (Le Cessie & van Houwelingen, 1992, Applied Statistics 41:191): bread
``B = I + P / C`` (``P = diag(1, ..., 1, 0)``), meat ``M`` as above (``I`` for
"nonrobust"), ``Cov = B^-1 M B^-1``; these standard errors describe the estimator's
variability, not its error (bias is not included), and are labelled so in the summary.
The information criteria then use the effective number of parameters
``edf = trace(B^-1 I)`` in place of ``k``.

Separation. If some direction ``d`` has ``(2 y_i - 1) x~_i . d >= 0`` for every row (with
equality not everywhere), the likelihood increases without bound along ``d``: the maximum
likelihood estimate does not exist, the solver stops at arbitrarily large coefficients and
their standard errors are meaningless. :func:`detect_separation` finds such a direction by
linear programming (Konis, 2007, "Linear programming algorithms for detecting separated
data in binary logistic regression models", DPhil thesis, Oxford) and names the features
and rows involved; :func:`inference` runs it and warns with :class:`SeparationWarning`.

Multinomial models. A softmax fit of ``K`` classes is identified only up to a common shift
of its ``K`` coefficient vectors, so :func:`multinomial_inference` reports the contrasts
``beta_k = W_k - W_ref`` against a reference class (statsmodels' ``MNLogit``, default the
first class): the formulas above with the per-row scores ``(y_ik - a_ik) x~_i`` of the
``K - 1`` other classes, the information ``X~^T diag(s a_j (delta_jl - a_l)) X~`` of blocks
``(j, l)``, ``k = (K - 1) p~`` in the small-sample factors and ``df_model = k - (K - 1)``;
the penalised sandwich carries the symmetric penalty ``||W||^2 / 2C`` to the contrasts
(:mod:`logistic.inference._multinomial` states it). Parameters are named
``"<class>:<feature>"`` and the pandas objects indexed by ``(class, feature)``.
``LogisticRegression.inference(..., reference=...)`` picks the reference class; a binary
fit given a reference is the same computation with ``W_0 = 0``.

Front ends (the estimator's ``inference`` method, the command line) share two more pieces:
:func:`why_no_standard_errors`, the one policy of when standard errors are refused (class
weights, an L1 penalty, a finite ``C`` without the opt-in sandwich; any number of
classes), and :meth:`InferenceResult.from_dict`, which reads back a result stored as plain
data (:meth:`InferenceResult.as_dict`, as in model files).
"""

from __future__ import annotations

from ..errors import SeparationWarning
from ._api import inference
from ._checks import COV_TYPES, why_no_standard_errors
from ._covariance import covariance, information_matrix, log_likelihood, null_log_likelihood
from ._margins import MarginalEffects, marginal_effects
from ._multinomial import multinomial_inference, multinomial_separation
from ._reference import parameter_layout, reference_index
from ._result import PARAM_FIELDS, STATISTICS, InferenceResult
from ._separation import SeparationReport, detect_separation
from ._summary import InferenceSummary

__all__ = [
    "COV_TYPES",
    "PARAM_FIELDS",
    "STATISTICS",
    "InferenceResult",
    "InferenceSummary",
    "MarginalEffects",
    "SeparationReport",
    "SeparationWarning",
    "covariance",
    "detect_separation",
    "inference",
    "information_matrix",
    "log_likelihood",
    "marginal_effects",
    "multinomial_inference",
    "multinomial_separation",
    "null_log_likelihood",
    "parameter_layout",
    "reference_index",
    "why_no_standard_errors",
]
