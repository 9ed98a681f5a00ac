"""``LogisticRegression``: the seeds' model behind the scikit-learn estimator contract.

One estimator for two classes and for more: the number of labels picks the link
(:func:`logistic.objective.link_for`), and everything else (the objective, the solvers, the
coefficient layout, prediction) goes through it, without a branch on the number of classes.
"""

from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._classes import check_class_weight, class_weight_factors
from ._fit_checks import check_result, numeric_failure
from ._links import link_for
from ._objective import Objective
from ._validation import (
    check_bool,
    check_c,
    check_int,
    check_learning_rate,
    check_offset,
    check_real,
    check_sample_weight,
    densify_if_dense,
    explain_validation_error,
    validate_fit_data,
)
from .errors import DataError, DivergenceError, InvalidParameterError
from .solvers import by_capability, get_solver, resolve_auto, solve
from .solvers.sgd import sgd_epoch, sgd_init
from .sources import InMemorySource

__all__ = ["LogisticRegression"]

# The estimator parameters that solvers may declare as options of theirs.
_SOLVER_PARAMS = ("learning_rate", "batch_size", "random_state")


class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Logistic regression, binary or multinomial, fitted by the seeds' gradient descent or
    faster solvers.

    The model is the seeds' computation graph ``z = X w + b``, ``a = sigmoid(z)`` (for two
    classes; ``a = softmax(z)`` of ``K`` logits for more), and the fit minimises the
    mean-form objective (see :mod:`logistic._objective`)

    .. math::

        f(w, b) = \frac{1}{S} \sum_i s_i\, \mathrm{BCE}(y_i, a_i)
                  + \frac{1}{2 C S} \lVert w \rVert^2,\qquad S = \sum_i s_i,

    which has the same minimiser as scikit-learn's ``C \sum_i s_i BCE_i + ||w||^2 / 2``.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength (> 0); ``np.inf`` fits without penalty.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing, scikit-learn 1.8's parametrisation: the penalty is
        ``((1 - l1_ratio) ||w||^2 / 2 + l1_ratio ||w||_1) / (C S)``; 1.0 is the lasso.
        With ``l1_ratio > 0`` the solvers ``"cd"`` (the default then), ``"agd"`` and ``"gd"``
        apply; coefficients that the L1 term removes are exactly 0.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept ``b``.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; "balanced" gives every class
        the same total weight, ``c_k = S / (K S_k)`` with ``S_k`` the sample weight of class
        ``k`` (scikit-learn's rule, its row count when unweighted).
    solver : str, default="auto"
        A name from :data:`logistic.solvers.SOLVERS`: ``"gd"`` is the seeds' batch gradient
        descent, ``"agd"`` its accelerated form (FISTA), ``"sgd"`` mini-batch stochastic
        gradient descent, ``"lbfgs"`` SciPy's L-BFGS-B, ``"newton"`` / ``"newton-cg"``
        Newton's method, ``"cd"`` proximal Newton with coordinate descent (L1, elastic
        net); ``"auto"`` picks by shape, sparsity and penalty
        (:func:`logistic.solvers.resolve_auto`).
    learning_rate : float or "auto", default="auto"
        Step size of ``gd`` and ``agd`` (and initial step of ``sgd`` and ``partial_fit``);
        "auto" uses ``1 / L`` for a bound ``L`` on the gradient's Lipschitz constant. Only
        the solvers that declare the option receive it.
    batch_size : int, default=256
        Rows per step of ``sgd`` and ``partial_fit``.
    tol : float, default=1e-4
        Stop when ``max |grad f| <= tol`` (mean-form objective).
    max_iter : int or None, default=None
        Iteration limit (epochs for ``sgd``); None uses the solver's default. 0 fits
        nothing: the model is the start (``W = 0``, the intercepts of
        :meth:`logistic.objective.Objective.start`), with a ``ConvergenceWarning``, as in
        scikit-learn.
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    random_state : int, numpy Generator or None, default=None
        Seeds the shuffling of ``sgd`` and ``partial_fit``.
    verbose : int, default=0
        Print one line per iteration when > 0.
    callback : callable or None, default=None
        Called after every iteration with a :class:`logistic.solvers.IterationRecord`
        (iteration, loss, grad_norm, step, seconds); progress bars use it. It only reads.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        ``w`` (``W^T`` for more than two classes), in the floating type of the training X.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        ``b`` (0 when ``fit_intercept=False``).
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted; with two, ``classes_[1]`` is the positive class (``y = 1``).
    n_iter_ : ndarray of shape (1,)
        Iterations taken.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names.
    loss_curve_ : ndarray of shape (n_iter_ + 1,), or fewer after a very long solve
        Objective value at the start and after every iteration; a solve of more than
        100,000 iterations keeps them on an even grid of iterations and the last one
        (which iterations: ``history_.iteration``).
    history_ : logistic.solvers.History
        Loss, gradient norm, step, seconds and iteration number per iteration.
    converged_ : bool
        Whether ``max |grad f| <= tol`` was reached.
    solver_ : str
        The solver that produced the coefficients (``"auto"`` resolved); ``"a->b"`` when
        solver ``a`` handed the problem over to ``b`` (e.g. ``"newton->lbfgs"``).
    result_ : logistic.solvers.SolverResult
        The solver's full result (passes over the data, message).
    """

    def __init__(
        self,
        C=1.0,
        *,
        l1_ratio=0.0,
        fit_intercept=True,
        class_weight=None,
        solver="auto",
        learning_rate="auto",
        batch_size=256,
        tol=1e-4,
        max_iter=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        callback=None,
    ):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- validation -----------------------------------------------------------------------
    def _check_params(self):
        check_c(self.C)
        l1 = check_real("l1_ratio", self.l1_ratio, low=0.0, high=1.0)
        if l1 > 0.0 and self.solver != "auto" and not get_solver(self.solver).supports_l1:
            accepted = ", ".join(repr(n) for n in by_capability(handles=("l1",)))
            raise InvalidParameterError(
                f"solver={self.solver!r} does not support l1_ratio={self.l1_ratio!r} (an L1 "
                f"penalty); with l1_ratio > 0, solver accepts 'auto', {accepted}."
            )
        check_bool("fit_intercept", self.fit_intercept)
        check_bool("warm_start", self.warm_start)
        check_real("tol", self.tol, low=0.0)
        check_int("max_iter", self.max_iter, low=0, allow_none=True)
        check_int("batch_size", self.batch_size, low=1)
        check_int("verbose", self.verbose, low=0)
        check_learning_rate(self.learning_rate)
        if self.solver != "auto":
            get_solver(self.solver)
        if self.callback is not None and not callable(self.callback):
            raise InvalidParameterError(
                f"callback={self.callback!r} is not callable; callback accepts a function of "
                "one IterationRecord, or None."
            )
        check_class_weight(self.class_weight)

    def _weights(self, classes, y_index, sample_weight, n_samples, dtype):
        """The row weights: ``sample_weight`` times the class weight of each row's class
        (:func:`logistic._classes.class_weight_factors`), or None for all ones."""
        sw = check_sample_weight(sample_weight, n_samples, dtype)
        if self.class_weight is None:
            return sw
        per_class = np.bincount(
            y_index, weights=None if sw is None else sw.astype(np.float64), minlength=len(classes)
        )
        factors = class_weight_factors(self.class_weight, classes, per_class)
        cw = factors[y_index].astype(dtype)
        sw = cw if sw is None else sw * cw
        if not np.any(sw > 0):
            raise DataError("class_weight and sample_weight give every row weight 0.")
        return sw

    # -- fitting ----------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the model to ``X`` (n_samples, n_features) and labels ``y`` (n_samples,).

        Two distinct labels fit the binary model (``coef_`` of shape (1, n_features)); more
        fit the multinomial (softmax) model (``coef_`` of shape (n_classes, n_features)).

        ``sample_weight`` (n_samples,) multiplies each row's loss; ``class_weight`` is
        multiplied into it. ``offset`` is a known term added to each logit,
        ``z = X w + b + offset``, as in a GLM (exposure, a prior model's score): shape
        (n_samples,) for two classes, (n_samples, n_classes) for more; pass the new rows'
        offsets to ``decision_function`` and the ``predict*`` methods. Returns ``self``.
        """
        self._check_params()
        X, classes, y_index, finite_check = validate_fit_data(self, X, y)
        X = densify_if_dense(X)
        dtype = X.dtype
        sw = self._weights(classes, y_index, sample_weight, X.shape[0], dtype)
        off = check_offset(offset, X.shape[0], dtype, link_for(len(classes)).n_out)
        source = InMemorySource(X, y_index.astype(dtype), sw, off, classes=classes)
        return self._fit(source, classes, finite_check=finite_check)

    def fit_source(self, source, *, classes=None):
        """Fit on any row source: rows in memory, streamed files or a Dask cluster.

        Parameters
        ----------
        source : logistic.sources.Source
            E.g. :class:`~logistic.sources.StreamSource` (Parquet/CSV files read batch by
            batch in every pass) or :class:`~logistic.sources.DaskSource` (chunks held by
            the workers); its ``y`` holds indices into its ``classes_``, its weights
            already include any class weights (the sources apply ``class_weight``
            themselves), and ``coef_`` takes its ``dtype``.
        classes : array_like or None
            The labels ``y`` indexes; None takes ``source.classes_``.

        Returns
        -------
        self
        """
        self._check_params()
        classes = source.classes_ if classes is None else classes
        if classes is None or len(classes) < 2:
            raise InvalidParameterError(
                "fit_source needs the labels the source's y indexes: a source with classes_ "
                "(two or more), or classes=[...]."
            )
        return self._fit(source, np.asarray(classes))

    def _solver_options(self, spec):
        return {name: getattr(self, name) for name in _SOLVER_PARAMS if name in spec.options}

    def _fit(self, source, classes, *, finite_check=None):
        """Fit on ``source`` whose ``y`` indexes ``classes``: every path's one entry."""
        self.__dict__.pop("_partial", None)  # a full fit ends any partial_fit sequence
        link = link_for(len(classes))
        objective = Objective(
            source, link, C=self.C, l1_ratio=self.l1_ratio, fit_intercept=self.fit_intercept
        )
        solver = self.solver
        if solver == "auto":
            solver = resolve_auto(
                source.n_samples,
                source.n_features,
                sparse=source.sparse,
                l1_ratio=float(self.l1_ratio),
                n_classes=len(classes),
            )
        if finite_check is not None:
            objective.defer_finite_check(finite_check)
        x0 = objective.start()
        coef = self._dense_coef()
        if self.warm_start and coef is not None and coef.shape == (link.n_out, source.n_features):
            x0 = link.params(coef, self.intercept_, self.fit_intercept)
        callbacks = [c for c in (self.callback, _VerbosePrinter() if self.verbose else None) if c]

        def callback(record):
            for c in callbacks:
                c(record)

        try:
            result = solve(
                solver,
                objective,
                x0,
                tol=float(self.tol),
                max_iter=self.max_iter,
                callback=callback,
                **self._solver_options(get_solver(solver)),
            )
        except FloatingPointError as exc:
            raise numeric_failure(exc) from None
        check_result(result, tol=float(self.tol))
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = source.n_features
        if source.feature_names is not None:
            self.feature_names_in_ = np.asarray(source.feature_names, dtype=object)
        coef, intercept = objective.coef_intercept(result.x)
        dtype = source.dtype
        self.coef_ = coef.astype(dtype)
        self.intercept_ = intercept.astype(dtype)
        self.n_iter_ = np.array([result.n_iter], dtype=np.int32)
        self.history_ = result.history
        self.loss_curve_ = np.asarray(result.history.loss)
        self.converged_ = bool(result.converged)
        self.solver_ = result.solver
        self.result_ = result
        return self

    def _partial_fit_applies(self):
        # as scikit-learn's available_if: hasattr(est, "partial_fit") is False where it
        # cannot run, and the AttributeError says why
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise AttributeError(
                "partial_fit is not available with class_weight='balanced', which needs the "
                "class counts of all the data; it takes class_weight None or a dict."
            )
        if not (isinstance(self.l1_ratio, numbers.Real) and self.l1_ratio == 0):
            raise AttributeError(
                f"partial_fit is not available with l1_ratio={self.l1_ratio!r}: it runs "
                "SGD, which has no L1 step; it takes l1_ratio=0."
            )
        return True

    @available_if(_partial_fit_applies)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of mini-batch SGD over ``X``, ``y``, continuing from the previous call.

        For data that arrives over time or does not fit in memory at once. The first call
        needs ``classes`` (every label that will ever appear) unless the model was fitted
        before, whose classes and coefficients it then continues from; later calls continue
        the same optimisation: the SGD state (:class:`logistic.solvers.sgd.SGDState`: the
        parameters, the step counter ``t`` and the initial rate ``eta_0``) is kept. Each
        call shuffles its rows (seeded by ``random_state``) and takes one step per
        ``batch_size`` rows with ``eta_t = eta_0 / sqrt(1 + t / T)`` (``T``: the number of
        batches of the first call; ``eta_0`` is ``learning_rate`` or ``1 / L`` for the first
        call's Lipschitz bound). The L2 penalty uses the weight seen so far,
        ``lambda = 1 / (C S_seen)``, so that after the last call it is the penalty of the
        full-data objective. Not available (``hasattr`` is False, as scikit-learn's
        ``available_if``) with ``class_weight="balanced"`` (it needs the class counts of all
        the data) or ``l1_ratio > 0``.

        Returns ``self``.
        """
        first = not hasattr(self, "_partial")
        if first:
            self._check_params()
            classes = self._partial_classes(classes)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise DataError(
                f"classes={np.unique(classes).tolist()!r} differs from the first call's "
                f"{self.classes_.tolist()!r}; partial_fit keeps the classes of its first call."
            )
        else:
            classes = self.classes_
        try:
            X, y = validate_data(
                self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=first
            )
        except ValueError as exc:
            raise DataError(explain_validation_error(exc)) from exc
        index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            raise DataError(
                f"y has labels {np.unique(y[unknown])[:5].tolist()!r} that are not in classes "
                f"{classes.tolist()!r}; partial_fit accepts only the labels of its first call."
            )
        dtype = X.dtype
        sw = self._weights(classes, index, sample_weight, X.shape[0], dtype)
        source = InMemorySource(X, index.astype(dtype), sw, classes=classes)
        link = link_for(len(classes))
        state = self._partial if not first else None
        seen = (0.0 if state is None else state.weight_seen) + source.weight_sum
        # the penalty of the data seen so far (see the docstring)
        objective = Objective(
            source, link, C=self.C, fit_intercept=self.fit_intercept, penalty_weight=seen
        )
        if first:
            batch_size = int(min(self.batch_size, X.shape[0]))
            eta0 = (
                1.0 / objective.lipschitz_bound()
                if self.learning_rate == "auto"
                else float(self.learning_rate)
            )
            x0 = np.zeros(objective.n_params)
            coef = self._dense_coef()
            if coef is not None and coef.shape == (link.n_out, X.shape[1]):
                x0 = link.params(coef, self.intercept_, self.fit_intercept)  # from a fit()
            steps = max(1, -(-X.shape[0] // batch_size))
            state = _PartialFit(
                sgd_init(x0, eta0, schedule="inverse_sqrt", steps_per_epoch=steps),
                np.random.default_rng(self.random_state),
            )
            self.classes_ = classes
        x_before, t_before = state.sgd.x, state.sgd.t
        sgd_epoch(state.sgd, objective, int(self.batch_size), state.rng)
        if not np.all(np.isfinite(state.sgd.x)):
            state.sgd.x, state.sgd.t = x_before, t_before
            raise DivergenceError(
                f"partial_fit diverged with learning_rate={state.sgd.eta0:g}; use a smaller "
                "learning_rate or learning_rate='auto'."
            )
        state.weight_seen = seen
        state.epochs += 1
        self._partial = state
        coef, intercept = objective.coef_intercept(state.sgd.x)
        self.coef_ = coef.astype(dtype)
        self.intercept_ = intercept.astype(dtype)
        self.n_iter_ = np.array([state.epochs], dtype=np.int32)
        self.solver_ = "sgd"
        self.converged_ = False
        return self

    def _partial_classes(self, classes):
        """The classes of a first ``partial_fit`` call, checked with its parameters."""
        if classes is None and hasattr(self, "classes_"):
            classes = self.classes_  # continue from a fit()
        if classes is None:
            raise DataError(
                "classes is None on the first call to partial_fit; it accepts the array "
                "of every label the data will contain."
            )
        classes = np.unique(np.asarray(classes))
        if classes.shape[0] < 2:
            raise DataError(
                f"classes={classes.tolist()!r} has fewer than two labels; partial_fit "
                "accepts two or more."
            )
        return classes

    # -- prediction -------------------------------------------------------------------
    def _validate_X_predict(self, X):
        check_is_fitted(self)
        try:
            return validate_data(
                self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False
            )
        except ValueError as exc:
            raise DataError(explain_validation_error(exc)) from exc

    @property
    def _link(self):
        return link_for(len(self.classes_))

    def decision_function(self, X, offset=None):
        """Logits: ``z = X w + b (+ offset)`` of shape (n_samples,) for two classes (positive
        means ``classes_[1]``); ``Z = X W + b`` of shape (n_samples, n_classes) for more."""
        X = self._validate_X_predict(X)
        link = self._link
        off = check_offset(
            offset, X.shape[0], np.result_type(X.dtype, self.coef_.dtype), link.n_out
        )
        return link.decision(X, self._dense_coef(), self.intercept_, off)

    def sparsify(self):
        """Store ``coef_`` as a SciPy CSR matrix (an L1 fit's many zeros take no memory), as
        scikit-learn's ``sparsify``; predictions, warm starts and saving read it as dense.
        Returns self."""
        check_is_fitted(self, "coef_")
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (after :meth:`sparsify`). Returns self."""
        check_is_fitted(self, "coef_")
        self.coef_ = self._dense_coef()
        return self

    def _dense_coef(self):
        coef = getattr(self, "coef_", None)
        return coef.toarray() if sp.issparse(coef) else coef

    def predict_proba(self, X, offset=None):
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1.

        Two classes: ``[1 - a, a]`` with ``a = sigmoid(z)``; more: ``softmax(Z)``.
        """
        Z = self.decision_function(X, offset)  # checks that the model is fitted
        return self._link.proba(Z)

    def predict_log_proba(self, X, offset=None):
        """``log predict_proba(X)``, finite even where a probability underflows to 0.

        Where the probability is a normal number this is ``log`` of exactly what
        :meth:`predict_proba` returns (so the two agree to the last digit); where it has
        underflowed, the log is taken from the logits instead of ``-inf``.
        """
        Z = self.decision_function(X, offset)
        return self._link.log_proba(Z)

    def predict(self, X, offset=None):
        """The label of each row: the class of the largest logit (``z > 0`` for two classes)."""
        Z = self.decision_function(X, offset)
        return self.classes_[self._link.labels(Z)]

    def _repr_html_(self):
        """A notebook's view: the fit and its largest coefficients (unfitted: the diagram)."""
        from ._report._notebook import model_html

        return model_html(self)

    _html_repr = _repr_html_  # what scikit-learn's _repr_mimebundle_ (Jupyter's call) shows

    # -- inference --------------------------------------------------------------------
    def inference(
        self,
        X,
        y,
        sample_weight=None,
        *,
        offset=None,
        cov_type="nonrobust",
        groups=None,
        alpha=0.05,
        penalized="error",
        check_separation="auto",
        reference=None,
    ):
        """Standard errors, z, p-values, intervals and likelihood statistics of the fit.

        ``X`` (n_samples, n_features), ``y`` (n_samples,), ``sample_weight`` and ``offset``
        must be the training data (weights are frequency weights). ``cov_type`` is one of
        "nonrobust", "HC0", "HC1", "cluster" (with ``groups``, one label per row). A fit
        with finite ``C`` is refused unless ``penalized="sandwich"``; when they are refused
        the message is :func:`logistic.inference.why_no_standard_errors`'s. A multinomial
        fit's statistics are those of the contrasts ``W_k - W_ref`` against the class
        ``reference`` (a label; None: ``classes_[0]``), statsmodels' ``MNLogit``; a binary
        fit's, with ``reference=None``, those of ``classes_[1]`` (statsmodels' ``Logit``),
        with a ``reference`` in the same layout against it. Returns a
        :class:`logistic.inference.InferenceResult`; ``.summary()`` prints the table. See
        :mod:`logistic.inference` for the formulas and statsmodels' equivalents.
        """
        from .inference._api import fitted_inference

        return fitted_inference(
            self,
            self._validate_X_predict(X),
            y,
            sample_weight,
            offset=offset,
            cov_type=cov_type,
            groups=groups,
            alpha=alpha,
            penalized=penalized,
            check_separation=check_separation,
            reference=reference,
        )


@dataclass
class _PartialFit:
    """What ``partial_fit`` keeps between calls: the SGD state, the shuffling's generator,
    the weight seen so far (the penalty's ``S``) and the number of calls."""

    sgd: object
    rng: np.random.Generator
    weight_seen: float = 0.0
    epochs: int = 0


class _VerbosePrinter:
    def __call__(self, rec):
        print(
            f"iter {rec.iteration:6d}  loss {rec.loss:.10g}  max|grad| {rec.grad_norm:.3e}  "
            f"step {rec.step:.3g}  {rec.seconds:.3f}s",
            file=sys.stdout,
        )
