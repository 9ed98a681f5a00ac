"""``LogisticRegressionCV``: the penalty chosen by k-fold cross-validation along a path."""

from __future__ import annotations

import inspect
import warnings
from typing import ClassVar

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import metadata_routing
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.validation import validate_data

from ._classes import check_class_weight
from ._estimator import LogisticRegression
from ._links import link_for
from ._validation import (
    check_bool,
    check_c,
    check_int,
    check_labels,
    check_offset,
    check_real,
    check_sample_weight,
    densify_if_dense,
    explain_validation_error,
)
from .errors import ConvergenceWarning, DataError, InvalidParameterError
from .sources import InMemorySource

__all__ = ["LogisticRegressionCV"]


class LogisticRegressionCV(LogisticRegression):
    """Logistic regression whose ``C`` (and ``l1_ratio``) are chosen by cross-validation.

    For every fold and every ``l1_ratio``, the models for ``Cs`` are fitted from the
    strongest penalty to the weakest, each warm-started at the previous one's optimum (the
    regularisation path: neighbouring optima are close, so each fit takes a few
    iterations). Each fitted model is scored on the held-out fold; the ``(C, l1_ratio)``
    with the best mean score over the folds is refitted on all the data.

    Parameters
    ----------
    Cs : int or array_like of float, default=10
        The grid of ``C``; an int ``k`` means ``np.logspace(-4, 4, k)`` (scikit-learn's).
    l1_ratios : array_like of float in [0, 1] or None, default=None
        The grid of ``l1_ratio``; None means ``(0.0,)``, an L2 penalty.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn: None is 5-fold, an int ``k`` is stratified k-fold (unshuffled,
        so the folds equal scikit-learn's for the same ``cv``).
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or callable ``scorer(estimator, X, y)``; None means
        ``"neg_log_loss"`` (the proper scoring rule for probabilities; scikit-learn's
        ``LogisticRegressionCV`` moves to it in 1.11, from accuracy). :meth:`score` uses
        it too.
    refit : bool, default=True
        Refit on all data with the best ``(C, l1_ratio)``; otherwise average the folds'
        best coefficients (and ``C_`` is the average of the folds' best ``C``).
    fit_intercept, class_weight, solver, tol, max_iter, random_state, verbose
        As in :class:`LogisticRegression`.
    use_legacy_attributes : False, default=False
        scikit-learn's switch between its legacy attribute layout (dicts per class, ``C_``
        repeated per class) and the new one, which is the only layout here (see the
        attributes). Accepted so that code written for scikit-learn's new layout runs
        unchanged; True is refused.

    Attributes
    ----------
    C_ : float
    l1_ratio_ : float
    Cs_ : ndarray of shape (n_cs,)
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
        Held-out score of every fit (greater is better).
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_cs, n_rows, n_features + fit_intercept)
        Coefficients (intercept last) of every fold's fit; ``n_rows`` is 1 for two classes
        and ``n_classes`` for more (scikit-learn's non-legacy layout).
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
    coef_, intercept_, classes_, converged_, history_, loss_curve_
        Of the final model, as in :class:`LogisticRegression`.
    estimator_ : LogisticRegression
        The refitted model itself (``refit=True`` only): a plain estimator with the chosen
        ``C`` and ``l1_ratio``, e.g. for saving.
    """

    def __init__(
        self,
        Cs=10,
        *,
        l1_ratios=None,
        cv=None,
        scoring=None,
        refit=True,
        fit_intercept=True,
        class_weight=None,
        solver="auto",
        tol=1e-4,
        max_iter=None,
        random_state=None,
        verbose=0,
        use_legacy_attributes=False,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.use_legacy_attributes = use_legacy_attributes

    # score's sample_weight is not the CV's own: it goes to the scorer, if requested.
    __metadata_request__score: ClassVar[dict] = {"sample_weight": metadata_routing.UNUSED}

    # The parameters LogisticRegression reads that CV fixes or chooses.
    @property
    def learning_rate(self):
        return "auto"

    @property
    def batch_size(self):
        return 256

    @property
    def warm_start(self):
        return False

    @property
    def callback(self):
        return None

    @property
    def C(self):
        """The chosen ``C_`` (so that inherited methods such as ``inference`` see it)."""
        return self.C_

    @property
    def l1_ratio(self):
        return self.l1_ratio_

    @property
    def partial_fit(self):
        # Cross-validation needs all the data: no incremental fitting (hasattr() is False).
        raise AttributeError("LogisticRegressionCV has no partial_fit; use LogisticRegression.")

    def _scorer(self):
        return get_scorer("neg_log_loss" if self.scoring is None else self.scoring)

    def get_metadata_routing(self):
        """Where ``fit`` and ``score`` send their extra parameters (scikit-learn's metadata
        routing, as its ``LogisticRegressionCV``): ``groups`` and the like to the
        splitter's ``split``, what the scorer requests (``sample_weight``) to it."""
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(splitter=self.cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))
            .add(
                scorer=self._scorer(),
                method_mapping=MethodMapping()
                .add(caller="score", callee="score")
                .add(caller="fit", callee="score"),
            )
        )

    def _routed(self, method, params, sample_weight):
        """``(splitter params, scorer params)`` of ``method``'s extra ``params``: routed by
        the requests when metadata routing is enabled; otherwise only ``sample_weight``
        reaches the scorer, and any other parameter is an error (scikit-learn's rule)."""
        if get_config()["enable_metadata_routing"]:
            if sample_weight is not None:
                params = {**params, "sample_weight": sample_weight}
            routed = process_routing(self, method, **params)
            splitter = routed.splitter.split if method == "fit" else {}
            return splitter, dict(routed.scorer.score)
        if params:
            raise ValueError(
                f"Passing extra keyword arguments to {type(self).__name__}.{method} is only "
                "supported if enable_metadata_routing=True, which you can set using "
                "`sklearn.set_config`. Extra parameters passed are: "
                f"{set(params)}; without routing, {method} accepts sample_weight"
                + (" and offset." if method == "fit" else ".")
            )
        return {}, ({} if sample_weight is None else {"sample_weight": sample_weight})

    def score(self, X, y, sample_weight=None, **score_params):
        """The ``scoring`` that chose ``C_`` (``neg_log_loss`` for None), on ``X``, ``y``:
        greater is better, as in scikit-learn's ``LogisticRegressionCV.score``; with
        metadata routing enabled, ``sample_weight`` and other ``score_params`` reach the
        scorer only if it requests them."""
        _, params = self._routed("score", score_params, sample_weight)
        return self._scorer()(self, X, y, **params)

    def _grids(self):
        if isinstance(self.Cs, int | np.integer) and not isinstance(self.Cs, bool):
            check_int("Cs", self.Cs, low=1)
            Cs = np.logspace(-4, 4, int(self.Cs))
        else:
            if isinstance(self.Cs, str | bytes) or not hasattr(self.Cs, "__iter__"):
                raise InvalidParameterError(
                    f"Cs={self.Cs!r} is not accepted; Cs accepts an int >= 1 or a list of C > 0."
                )
            Cs = np.asarray([check_c(c, name=f"Cs[{i}]") for i, c in enumerate(self.Cs)])
            if Cs.size == 0:
                raise InvalidParameterError(
                    "Cs is empty; it accepts an int >= 1 or a list of C > 0."
                )
        ratios = (0.0,) if self.l1_ratios is None else self.l1_ratios
        ratios = np.asarray([check_real("l1_ratios[i]", r, low=0.0, high=1.0) for r in ratios])
        if ratios.size == 0:
            raise InvalidParameterError("l1_ratios is empty; it accepts floats in [0, 1] or None.")
        return Cs, ratios

    def _model(self, C, l1_ratio, warm):
        return LogisticRegression(
            C=C,
            l1_ratio=l1_ratio,
            fit_intercept=self.fit_intercept,
            class_weight=self.class_weight,
            solver=self.solver,
            tol=self.tol,
            max_iter=self.max_iter,
            warm_start=warm,
            random_state=self.random_state,
        )

    def fit(self, X, y, sample_weight=None, *, offset=None, **params):
        """Cross-validate the grid on ``X`` (n_samples, n_features), ``y``; refit the best.

        Every fold is fitted against all the labels of ``y``, so a fold whose training part
        misses a class still gives coefficients of the full layout, and scored with them
        (scorers that take ``labels`` get all of them). ``class_weight='balanced'`` counts
        the classes of all of ``y`` (weighted by ``sample_weight``), as the refit does.
        ``sample_weight`` weighs the fits and, unless routing says otherwise, the held-out
        scores; ``offset`` (as in :meth:`LogisticRegression.fit`) is split with the rows.
        With metadata routing enabled, ``params`` reach the splitter (``groups``) and the
        scorer as they request them.
        """
        check_bool("refit", self.refit)
        if self.use_legacy_attributes is not False:
            raise InvalidParameterError(
                f"use_legacy_attributes={self.use_legacy_attributes!r}: scikit-learn's legacy "
                "attribute layout (dicts per class) is not offered; use_legacy_attributes "
                "accepts False, the layout of scikit-learn's new attributes (C_ a float, "
                "scores_ of shape (n_folds, n_l1_ratios, n_cs))."
            )
        check_class_weight(self.class_weight)
        Cs, ratios = self._grids()
        try:
            X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        except ValueError as exc:
            raise DataError(explain_validation_error(exc)) from exc
        classes, y_index = check_labels(y)  # refit=False never runs the final fit's checks
        X = densify_if_dense(X)  # once for every fold and C
        n, dtype = X.shape[0], X.dtype
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n, dtype)
        link = link_for(len(classes))
        offset = check_offset(offset, n, dtype, link.n_out)
        split_params, score_params = self._routed("fit", params, sample_weight)
        weights = self._weights(classes, y_index, sample_weight, n, dtype)
        scorer = _with_labels(self._scorer(), classes)
        cv = check_cv(self.cv, y, classifier=True)
        folds = list(cv.split(X, y, **split_params))
        order = np.argsort(Cs, kind="stable")  # strongest penalty (smallest C) first
        n_dof = X.shape[1] + int(self.fit_intercept)
        scores = np.empty((len(folds), ratios.size, Cs.size))
        paths = np.empty((len(folds), ratios.size, Cs.size, link.n_out, n_dof))
        n_iter = np.empty((len(folds), ratios.size, Cs.size), dtype=np.int32)
        y_float = y_index.astype(dtype)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            for k, (train, test) in enumerate(folds):
                source = InMemorySource(
                    X[train],
                    y_float[train],
                    None if weights is None else weights[train],
                    None if offset is None else offset[train],
                    classes=classes,
                )
                fold_params = {key: _rows(v, test, n) for key, v in score_params.items()}
                for r, ratio in enumerate(ratios):
                    model = None
                    for c in order:
                        model = (
                            self._model(Cs[c], ratio, warm=True)
                            if model is None
                            else model.set_params(C=Cs[c])
                        )
                        model.fit_source(source, classes=classes)
                        held_out = model if offset is None else _WithOffset(model, offset[test])
                        scores[k, r, c] = scorer(held_out, X[test], y[test], **fold_params)
                        paths[k, r, c, :, : X.shape[1]] = model.coef_
                        if self.fit_intercept:
                            paths[k, r, c, :, -1] = model.intercept_
                        n_iter[k, r, c] = model.n_iter_[0]
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            warnings.warn(
                "some cross-validation fits stopped before max|grad| <= tol; their scores "
                "may be slightly off. Increase max_iter or loosen tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.Cs_, self.l1_ratios_ = Cs, ratios
        self.scores_, self.coefs_paths_, self.n_iter_ = scores, paths, n_iter
        mean = scores.mean(axis=0)  # (n_l1_ratios, n_cs)
        # The first best in (l1_ratio, C) order, as scikit-learn's argmax picks it.
        r_best, c_best = np.unravel_index(int(np.argmax(mean)), mean.shape)
        if self.refit:
            self.C_, self.l1_ratio_ = float(Cs[c_best]), float(ratios[r_best])
            final = self._model(self.C_, self.l1_ratio_, warm=False)
            final.fit(X, y, sample_weight=sample_weight, offset=offset)
            self.estimator_ = final
            for name in (
                "classes_",
                "coef_",
                "intercept_",
                "converged_",
                "history_",
                "loss_curve_",
                "solver_",
                "result_",
            ):
                setattr(self, name, getattr(final, name))
        else:
            for name in ("estimator_", "history_", "loss_curve_", "solver_", "result_"):
                self.__dict__.pop(name, None)  # of an earlier refit: not this fit's
            best = [np.unravel_index(int(np.argmax(s)), s.shape) for s in scores]
            coefs = np.array([paths[k, r, c] for k, (r, c) in enumerate(best)]).mean(axis=0)
            self.C_ = float(np.mean([Cs[c] for _, c in best]))
            self.l1_ratio_ = float(np.mean([ratios[r] for r, _ in best]))
            self.classes_ = classes
            p = X.shape[1]
            self.coef_ = coefs[:, :p].astype(dtype)
            self.intercept_ = (coefs[:, p] if self.fit_intercept else np.zeros(link.n_out)).astype(
                dtype
            )
            self.converged_ = True
        return self


def _rows(value, rows, n_samples):
    """``value[rows]`` for a per-row parameter (a sequence of ``n_samples``), else
    ``value``: the held-out fold's part of a routed scorer parameter."""
    if hasattr(value, "__len__") and not isinstance(value, str) and len(value) == n_samples:
        return value.iloc[rows] if hasattr(value, "iloc") else np.asarray(value)[rows]
    return value


def _with_labels(scorer, classes):
    """``scorer`` told all the ``classes`` where its metric takes ``labels``.

    A held-out fold can hold one class only, and metrics such as ``log_loss`` or
    ``brier_score_loss`` then need the labels given to them. scikit-learn's
    ``LogisticRegressionCV`` rebuilds such a scorer with ``labels`` (and, for two
    classes, ``pos_label``) the same way; ``labels`` or ``pos_label`` given to the scorer
    are kept, and a scorer that is not one of scikit-learn's ``make_scorer`` objects is
    used as it is.
    """
    func = getattr(scorer, "_score_func", None)
    if func is None:
        return scorer
    sig = inspect.signature(func).parameters
    if "labels" not in sig:
        return scorer
    kwargs = dict(getattr(scorer, "_kwargs", {}))
    kwargs.setdefault("labels", classes)  # labels the user gave the scorer are kept
    if len(classes) == 2 and "pos_label" in sig:
        kwargs.setdefault("pos_label", classes[-1])
    return make_scorer(
        func,
        greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method,
        **kwargs,
    )


class _WithOffset(ClassifierMixin, BaseEstimator):
    """A fitted model seen with the held-out rows' ``offset`` added to their logits: what
    a scorer, which calls ``predict_proba(X)`` with ``X`` only, needs to score a model
    fitted with an offset. Other attributes (``coef_``, ``C`` ...) are the model's; the
    predictions are of the held-out rows, all of them, in order (the offset is theirs)."""

    def __init__(self, model=None, offset=None):
        self.model, self.offset = model, offset
        if model is not None:
            self.classes_ = model.classes_

    def __getattr__(self, name):
        # only reached for names not found on the wrapper itself
        if name.startswith("__") or name in ("model", "offset"):
            raise AttributeError(name)
        return getattr(self.model, name)

    def decision_function(self, X):
        return self.model.decision_function(X, offset=self.offset)

    def predict_proba(self, X):
        return self.model.predict_proba(X, offset=self.offset)

    def predict_log_proba(self, X):
        return self.model.predict_log_proba(X, offset=self.offset)

    def predict(self, X):
        return self.model.predict(X, offset=self.offset)
