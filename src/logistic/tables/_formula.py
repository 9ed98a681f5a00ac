"""A Wilkinson formula as the preprocessing of a table, on formulaic.

``y ~ age + C(sex, Treatment('M')) + age:sex + np.log(income)`` says which columns enter
the model and how: reference levels, interactions, transformations. formulaic
(https://matthewwardrop.github.io/formulaic/) parses and evaluates it; this module puts it
in the library's preprocessing contract (the one :class:`~logistic.tables.TablePreprocessor`
keeps), so a formula fits in memory, streamed and on Dask, and is stored in the model file
for ``predict``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from ..errors import DataError, DataWarning, InvalidParameterError
from ._columns import (
    TransformReport,
    _category_array,
    _decode,
    _float_values,
    _missing_mask,
    _missing_message,
    _time_values,
    as_arrow_table,
    check_present,
)
from ._formula_state import ColumnStats, merge_levels, state_from_json, state_to_json
from ._formula_terms import term_variables
from ._preprocess import SPARSE_THRESHOLD, TablePreprocessor

__all__ = [
    "FormulaPreprocessor",
    "formula_has_intercept",
    "parse_formula",
    "preprocessor_from_dict",
    "unit_scales",
]

_INTERCEPT = "Intercept"


def _formulaic():
    try:
        import formulaic
    except ImportError:  # a dependency; only a broken install lacks it
        raise InvalidParameterError(
            "formulas need the formulaic package: pip install 'formulaic>=1.1'."
        ) from None
    return formulaic


def _first_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def parse_formula(formula) -> tuple[str, str, list[str]]:
    """``(target, right-hand side, variables)`` of a formula ``"target ~ terms"``.

    The left side must name the target column alone (backquoted when its name is not an
    identifier: ``"`my y` ~ x"``); the right side's variables are the table columns the
    terms use, sorted.

    Raises
    ------
    InvalidParameterError
        Not a string, no ``~``, a syntax error, or a left side that is not one column.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise InvalidParameterError(
            f"formula={formula!r} is not accepted; formula accepts a string such as "
            '"y ~ age + C(sex) + age:sex".'
        )
    f = _formulaic()
    try:
        parsed = f.Formula(formula)
    except (f.errors.FormulaicError, SyntaxError, ValueError, TypeError) as exc:
        raise InvalidParameterError(f"formula {formula!r}: {_first_line(exc)}") from None
    if not hasattr(parsed, "lhs"):
        raise InvalidParameterError(
            f'formula {formula!r} has no target: write it as "target ~ terms".'
        )
    lhs = sorted(parsed.lhs.required_variables)
    if len(lhs) != 1 or str(parsed.lhs).strip("` ") != lhs[0]:
        raise InvalidParameterError(
            f"formula {formula!r}: the left side must be the target column alone (found "
            f"{str(parsed.lhs)!r}); the classes are the target's values."
        )
    rhs = str(parsed.rhs)
    if not any(str(term) == "1" for term in parsed.rhs):
        rhs = f"0 + {rhs}"  # formulaic's text of the terms leaves the removal out
    variables = set(parsed.rhs.required_variables)
    for term in parsed.rhs:
        for factor in term.factors:
            if factor.eval_method.value == "lookup":
                variables.add(factor.expr)
            elif factor.eval_method.value == "python":
                variables |= term_variables(factor.expr, formula)
    variables = sorted(variables)
    if lhs[0] in variables:
        raise InvalidParameterError(
            f"formula {formula!r} uses the target '{lhs[0]}' on the right side too."
        )
    return lhs[0], rhs, variables


def formula_has_intercept(formula) -> bool:
    """Whether the formula's terms include the intercept (all do unless ``0 +`` or
    ``- 1`` removes it)."""
    return not parse_formula(formula)[1].startswith("0 + ")


def unit_scales(preprocessor) -> dict:
    """``{feature: sd}`` of the design's standardised columns, either kind of preprocessing:
    a coefficient per unit of such a feature is the fitted one divided by ``sd``; the
    other features (one-hot levels, a formula's 0/1 indicators) are used as they are."""
    if not preprocessor.standardize:
        return {}
    if isinstance(preprocessor, FormulaPreprocessor):
        names, scales = preprocessor.feature_names_out, preprocessor.scales_
        flags = preprocessor.indicators_
        return {n: float(s) for n, s, flag in zip(names, scales, flags, strict=True) if not flag}
    return {s.name: s.scale for s in preprocessor.columns_ if s.kind == "numeric"}


def preprocessor_from_dict(d):
    """The preprocessing a model file stores (``to_dict`` of either kind), rebuilt."""
    if isinstance(d, dict) and "formula" in d:
        return FormulaPreprocessor.from_dict(d)
    return TablePreprocessor.from_dict(d)


class FormulaPreprocessor:
    """Turns a table into the design matrix a formula describes.

    The variables the formula names are read as the table preprocessing reads columns
    (numbers, dates as days since 1970, text, booleans; missing values an error or, with
    ``impute``, filled with what training learned), then formulaic evaluates the terms:
    text columns are categorical with treatment contrasts against their first level
    (``C(x, Treatment('b'))`` chooses ``b``), ``a:b`` is an interaction, ``a*b`` is
    ``a + b + a:b``, functions of NumPy (``np.log(x)``) and ``I(x**2)`` transform, and
    ``center``, ``scale``, ``poly``, ``bs`` learn from the training rows. The intercept
    term (``1``, removed by ``0 +`` or ``- 1``) is not a column: it sets
    :attr:`fit_intercept`.

    Columns that are not 0/1 indicators are standardised for the solvers, as the table
    preprocessing does (``(x - mean) / sd``; a sparse design is only scaled, ``x / sd``, and
    a design without intercept is never centred, so the model stays the formula's);
    coefficients are reported back per unit of each column
    (:meth:`logistic.inference.InferenceResult.per_unit` with :meth:`output_scaling`).

    Parameters
    ----------
    formula : str
        ``"target ~ terms"``; see :func:`parse_formula`.
    impute : {None, "mean", "most-frequent"}, default=None
        As in :class:`TablePreprocessor`, applied to the variables before the terms.
    standardize : bool, default=True
    sparse : {"auto", True, False}, default="auto"
        CSR when at most :data:`SPARSE_THRESHOLD` of the design's entries are non-zero.

    Attributes
    ----------
    target : str
    variables : list of str
        The table columns the terms use.
    feature_names_out : list of str
        formulaic's column names (``"C(sex, Treatment('M'))[T.F]"``, ``"age:sex[T.M]"``).
    fit_intercept : bool
    """

    drop_first = False  # the formula's contrasts decide the coding

    def __init__(self, formula, *, impute=None, standardize=True, sparse="auto"):
        self.formula = formula
        self.impute = impute
        self.standardize = standardize
        self.sparse = sparse
        self.target, self.rhs, self.variables = parse_formula(formula)
        if not (sparse == "auto" or isinstance(sparse, bool | np.bool_)):
            raise InvalidParameterError(
                f"sparse={sparse!r} is not accepted; sparse accepts 'auto', True or False."
            )

    # -- fitting ----------------------------------------------------------------------
    def fit(self, X, y=None, *, columns=None) -> FormulaPreprocessor:
        """Learn the variables, the formula's levels and transforms and the column
        scales from a table (pyarrow, pandas or a dict of columns)."""
        table = as_arrow_table(X)
        self._fit([table], lambda: [table])
        return self

    def fit_transform(self, X, y=None, *, columns=None):
        """``fit(X).transform(X)``, evaluating the formula once."""
        table = as_arrow_table(X)
        return self._fit([table], lambda: [table], keep=True)

    def fit_batches(self, batches, columns=None) -> FormulaPreprocessor:
        """Learn from record batches (out of core): ``batches`` is a callable that returns
        a fresh iterable of them, as a formula needs three passes: the variables, the
        levels (the union over the batches) and the scales of the design's columns.

        Raises
        ------
        DataError
            As :meth:`fit`; also when the formula has a stateful transform (``center``,
            ``scale``, ``poly``, ``bs`` ...), which learns from all rows at once.
        """
        if not callable(batches):
            raise InvalidParameterError(
                "FormulaPreprocessor.fit_batches takes a callable returning the batches "
                "(a formula reads them three times)."
            )
        self._fit(batches(), batches)
        return self

    def _fit(self, first, batches, keep=False):
        variables = TablePreprocessor(impute=self.impute, standardize=False, sparse=False)
        first = iter(first)
        head = next(first, None)
        if head is not None:
            self._check_variables(head)

        def chain():
            if head is not None:
                yield head
            yield from first

        with warnings.catch_warnings():
            # the variables' own checks (identifiers, row numbers) warn once, here
            variables.fit_batches(chain(), self.variables)
        self._variables = variables
        specs, n_batches = None, 0
        for batch in batches():
            spec = self._spec_of(self._frame(batch)[0])
            specs = spec if specs is None else merge_levels(specs, spec)
            n_batches += 1
        if n_batches > 1 and specs.transform_state:
            names = ", ".join(sorted(specs.transform_state))
            raise DataError(
                f"the formula's {names} learn(s) from all the training rows at once, which "
                "streamed batches do not give; train in memory, or write the transformed "
                "column into the data."
            )
        self._spec = specs.update(output="sparse")
        stats = ColumnStats()
        kept, names = [], None
        for batch in batches():
            Z, names = self._evaluate(batch, self._spec, TransformReport(n_rows=batch.num_rows))
            stats.add(Z)
            if keep:
                kept.append(Z)
        self.fit_intercept = _INTERCEPT in names
        self.feature_names_out = [c for c in names if c != _INTERCEPT]
        if not self.feature_names_out:
            raise DataError(f"the formula {self.formula!r} has no terms besides the intercept.")
        columns = [j for j, c in enumerate(names) if c != _INTERCEPT]
        self.means_, self.scales_, density = stats.finish(
            columns, center=self.fit_intercept, standardize=self.standardize
        )
        self.indicators_ = stats.binary[columns].tolist()
        self.sparse_output = (
            bool(self.sparse) if self.sparse != "auto" else density <= SPARSE_THRESHOLD
        )
        if self.sparse_output:
            self.means_ = np.zeros_like(self.means_)
        if not keep:
            return None
        Z = sp.vstack(kept, format="csr") if len(kept) > 1 else kept[0]
        return self._finish(Z)

    def _check_variables(self, table):
        available = table.column_names
        missing = [v for v in self.variables if v not in available]
        if not missing:
            return
        import difflib

        hints = []
        for v in missing:
            close = difflib.get_close_matches(v, available, n=1)
            hints.append(f"'{v}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise DataError(
            f"the formula {self.formula!r} uses {', '.join(hints)}, which the data does not "
            f"have; its columns: {', '.join(available[:20])}"
            + (", ..." if len(available) > 20 else "")
            + "."
        )

    def _spec_of(self, frame):
        f = _formulaic()
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return f.model_matrix(self.rhs, frame, na_action="ignore").model_spec
        except f.errors.FormulaicError as exc:
            raise DataError(f"formula {self.formula!r}: {_first_line(exc)}") from None

    # -- transforming -----------------------------------------------------------------
    def _frame(self, table):
        """``(frame, imputed, unseen)``: the variables of ``table`` as a pandas DataFrame
        for formulaic, the imputation counts and, per text column, the values not seen in
        training with their counts; missing values without ``impute`` are an error."""
        import pandas as pd

        table = as_arrow_table(table)
        check_present(table, self.variables, "the data")
        cols, missing, imputed, unseen = {}, {}, {}, {}
        for spec in self._variables.columns_:
            col = _decode(table.column(spec.name))
            miss = _missing_mask(col)
            if miss.any():
                if spec.fill is None:
                    missing[spec.name] = np.flatnonzero(miss)
                    continue
                imputed[spec.name] = int(miss.sum())
            if spec.kind == "numeric":
                if spec.time:
                    v = _time_values(spec.name, col)
                elif pa.types.is_integer(col.type) and not miss.any():
                    v = col.to_numpy().astype(np.int64)  # C(code) keeps integer levels
                else:
                    v = _float_values(spec.name, col)
                if miss.any():
                    v = np.where(miss, spec.fill, v)
            else:
                v = np.asarray(
                    _category_array(col, spec.kind).to_numpy(zero_copy_only=False), dtype=object
                )
                if miss.any():
                    v = np.where(miss, spec.fill, v)
                new = ~np.isin(v, spec.categories) & ~miss
                if new.any():
                    values, counts = np.unique(v[new], return_counts=True)
                    unseen[spec.name] = dict(zip(map(str, values), map(int, counts), strict=True))
            cols[spec.name] = v
        if missing:
            raise DataError(_missing_message(missing, fit=not hasattr(self, "_spec")))
        frame = pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows), copy=False)
        return frame, imputed, unseen

    def _evaluate(self, table, spec, report):
        """``(Z, names)``: the formula's columns (CSR, the intercept included) of
        ``table`` and their names; unseen levels counted in ``report`` (their rows encode
        as zeros, as the table preprocessing does), values that are not finite an error
        naming the term."""
        f = _formulaic()
        frame, report.imputed, report.unseen = self._frame(table)
        with np.errstate(all="ignore"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                mm = spec.get_model_matrix(frame)
            except f.errors.FormulaicError as exc:
                raise DataError(f"formula {self.formula!r}: {_first_line(exc)}") from None
        names = list(mm.model_spec.column_names)
        expected = getattr(self, "feature_names_out", None)
        if expected is not None and [c for c in names if c != _INTERCEPT] != expected:
            raise DataError(
                f"the formula {self.formula!r} gives other columns on these rows than in "
                "training; the model cannot encode them."
            )
        for w in caught:
            text = _first_line(w.message)
            if "outside of the nominated levels" in text and report.unseen:
                continue  # counted per column above
            if not issubclass(w.category, DeprecationWarning | FutureWarning):
                warnings.warn(f"formula {self.formula!r}: {text}", DataWarning, stacklevel=4)
        Z = sp.csr_matrix(mm, dtype=np.float64)
        bad = ~np.isfinite(Z.data)
        if bad.any():
            at = np.flatnonzero(bad)[0]
            row = int(np.searchsorted(Z.indptr, at, side="right") - 1)
            name = names[Z.indices[at]]
            raise DataError(
                f"the formula's term '{name}' is {Z.data[at]} at data row {row + 1}; terms "
                "must give finite numbers (log of 0 or a negative number, a division by 0?)."
            )
        return Z, names

    def _finish(self, Z):
        """The standardised design without the intercept column, in the output format."""
        if self.fit_intercept:
            Z = Z[:, 1:]  # formulaic puts the intercept first
        if self.sparse_output:
            return (Z @ sp.diags(1.0 / self.scales_)).tocsr()
        X = Z.toarray()
        X /= self.scales_
        X -= self.means_ / self.scales_
        return X

    def transform_with_report(self, table):
        """``(X, report)``: the design of ``table`` (shape (n_rows, n_features_out), CSR
        when :attr:`sparse_output`) and what it met (unseen levels, imputed values)."""
        self._check_fitted()
        table = as_arrow_table(table)
        report = TransformReport(n_rows=table.num_rows)
        Z, _ = self._evaluate(table, self._spec, report)
        return self._finish(Z), report

    def transform(self, X):
        """The design matrix of ``X``; the report goes to :attr:`last_report_`."""
        X, self.last_report_ = self.transform_with_report(X)
        return X

    def transform_batch(self, batch):
        """The design of one batch: a pure function of it, picklable for Dask workers."""
        return self.transform_with_report(batch)[0]

    def _check_fitted(self):
        if not hasattr(self, "_spec"):
            raise DataError(
                "this FormulaPreprocessor is not fitted yet; call fit(table) or from_dict(d)."
            )

    # -- the contract of the table preprocessing --------------------------------------
    @property
    def columns_(self):
        """The :class:`ColumnSpec` of each variable (kinds, levels, fills)."""
        self._check_fitted()
        return self._variables.columns_

    @property
    def n_features_out(self) -> int:
        self._check_fitted()
        return len(self.feature_names_out)

    @property
    def input_columns(self) -> list[str]:
        return list(self.variables)

    def output_scaling(self) -> tuple[np.ndarray, np.ndarray]:
        """``(means, scales)`` of the design's columns: column ``j`` is
        ``(z_j - means[j]) / scales[j]`` of the formula's column ``z_j``."""
        self._check_fitted()
        return self.means_.copy(), self.scales_.copy()

    def csv_column_types(self) -> dict:
        """Text columns read as strings (codes keep their zeros), as training read them."""
        return self._variables.csv_column_types()

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self.feature_names_out, dtype=object)

    # -- serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-ready dict: the formula, the variables, formulaic's learned state and
        the scales (floats written so that they read back exactly)."""
        self._check_fitted()
        where = f"formula {self.formula!r}"
        return {
            "formula": self.formula,
            "rhs": self.rhs,
            "variables": self._variables.to_dict(),
            "encoder_state": state_to_json(dict(self._spec.encoder_state), where),
            "transform_state": state_to_json(dict(self._spec.transform_state), where),
            "feature_names": list(self.feature_names_out),
            "fit_intercept": bool(self.fit_intercept),
            "means": [float(v) for v in self.means_],
            "scales": [float(v) for v in self.scales_],
            "standardize": bool(self.standardize),
            "sparse": bool(self.sparse_output),
            "indicators": [bool(v) for v in self.indicators_],
        }

    @classmethod
    def from_dict(cls, d) -> FormulaPreprocessor:
        """Rebuild from :meth:`to_dict`'s output, checking every field.

        Raises
        ------
        DataError
            A field is missing, of the wrong type, not finite, or inconsistent; the message
            names it.
        """
        if not isinstance(d, dict):
            raise DataError("'preprocessing' must be a mapping.")
        for key, types in _FIELDS.items():
            if not isinstance(d.get(key), types):
                raise DataError(
                    f"'preprocessing.{key}' is missing or of the wrong type in a formula's "
                    "preprocessing."
                )
        try:
            self = cls(d["formula"], standardize=d["standardize"], sparse=d["sparse"])
        except InvalidParameterError as exc:
            raise DataError(f"'preprocessing.formula': {exc}") from None
        if d["rhs"] != self.rhs:
            raise DataError("'preprocessing.rhs' is not the right side of the formula.")
        self._variables = TablePreprocessor.from_dict(d["variables"])
        if sorted(self._variables.input_columns) != self.variables:
            raise DataError("'preprocessing.variables' are not the formula's variables.")
        self.impute = self._variables.impute
        self.feature_names_out = [str(n) for n in d["feature_names"]]
        self.fit_intercept = bool(d["fit_intercept"])
        self.sparse_output = bool(d["sparse"])
        self.indicators_ = d["indicators"]
        if len(self.indicators_) != len(self.feature_names_out) or not all(
            isinstance(v, bool) for v in self.indicators_
        ):
            raise DataError("'preprocessing.indicators' must be one true/false per feature name.")
        p = len(self.feature_names_out)
        self.means_ = _floats(d["means"], p, "means")
        self.scales_ = _floats(d["scales"], p, "scales")
        if np.any(self.scales_ <= 0):
            raise DataError("'preprocessing.scales' must be positive.")
        where = "'preprocessing.encoder_state'"
        f = _formulaic()
        try:
            self._spec = f.ModelSpec(
                formula=f.Formula(self.rhs),
                output="sparse",
                encoder_state=state_from_json(d["encoder_state"], where),
                transform_state=state_from_json(d["transform_state"], where),
            )
        except DataError:
            raise
        except (TypeError, ValueError, f.errors.FormulaicError) as exc:
            raise DataError(f"{where}: {_first_line(exc)}") from None
        return self

    def __repr__(self) -> str:
        return f"FormulaPreprocessor({self.formula!r})"


_FIELDS = {
    "formula": str,
    "rhs": str,
    "variables": dict,
    "encoder_state": dict,
    "transform_state": dict,
    "feature_names": list,
    "fit_intercept": bool,
    "means": list,
    "scales": list,
    "standardize": bool,
    "sparse": bool,
    "indicators": list,
}


def _floats(values, n, name) -> np.ndarray:
    if len(values) != n or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    ):
        raise DataError(f"'preprocessing.{name}' must be {n} finite numbers, one per feature name.")
    return np.asarray(values, dtype=np.float64)
