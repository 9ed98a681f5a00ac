"""Reading a preprocessing back from its JSON dict (``TablePreprocessor.to_dict``), every
field checked: a model file is input like any other."""

from __future__ import annotations

from ..errors import DataError
from ._columns import ColumnSpec, _is_finite_number

__all__ = ["read_preprocessing"]

#: Accepted values of ``impute`` (kept here and re-exported by the preprocessor).
IMPUTE_CHOICES = ("mean", "most-frequent")


def read_preprocessing(d) -> tuple[dict, list[ColumnSpec]]:
    """``(constructor parameters, column specs)`` of a preprocessing dict.

    Raises
    ------
    DataError
        A field is missing, of the wrong type, not finite, or inconsistent; the message
        names the field.
    """
    if not isinstance(d, dict):
        raise DataError(f"preprocessing must be an object, got {type(d).__name__}.")
    impute = d.get("impute")
    if impute is not None and impute not in IMPUTE_CHOICES:
        raise DataError(f"preprocessing.impute={impute!r} is not one of {IMPUTE_CHOICES}.")
    standardize = d.get("standardize", True)
    if not isinstance(standardize, bool):
        raise DataError("preprocessing.standardize must be true or false.")
    drop_first = d.get("drop_first", False)
    if not isinstance(drop_first, bool):
        raise DataError("preprocessing.drop_first must be true or false.")
    sparse = d.get("sparse", "auto")
    if sparse != "auto" and not isinstance(sparse, bool):
        raise DataError("preprocessing.sparse must be true or false (or absent: auto).")
    cols = d.get("columns")
    if not isinstance(cols, list) or not cols:
        raise DataError("preprocessing.columns must be a non-empty list.")
    specs, seen = [], set()
    for i, c in enumerate(cols):
        where = f"preprocessing.columns[{i}]"
        if not isinstance(c, dict):
            raise DataError(f"{where} must be an object.")
        name, kind = c.get("name"), c.get("kind")
        if not isinstance(name, str) or not name:
            raise DataError(f"{where}.name must be a non-empty string.")
        if name in seen:
            raise DataError(f"{where}.name '{name}' appears twice.")
        seen.add(name)
        fill = c.get("fill")
        if kind == "numeric":
            mean, scale = c.get("mean"), c.get("scale")
            for key, v in (("mean", mean), ("scale", scale)):
                if not _is_finite_number(v):
                    raise DataError(f"{where}.{key} must be a finite number, got {v!r}.")
            if scale <= 0:
                raise DataError(f"{where}.scale must be > 0, got {scale!r}.")
            if fill is not None and not _is_finite_number(fill):
                raise DataError(f"{where}.fill must be a finite number or null, got {fill!r}.")
            time = c.get("time", False)
            if not isinstance(time, bool):
                raise DataError(f"{where}.time must be true or false.")
            specs.append(
                ColumnSpec(
                    name,
                    kind,
                    mean=float(mean),
                    scale=float(scale),
                    fill=None if fill is None else float(fill),
                    time=time,
                )
            )
        elif kind in ("categorical", "boolean"):
            cats = c.get("categories")
            other = c.get("other", False)
            if not isinstance(other, bool):
                raise DataError(f"{where}.other must be true or false.")
            if (
                not isinstance(cats, list)
                or not (cats or other)
                or not all(isinstance(v, str) for v in cats)
            ):
                raise DataError(
                    f"{where}.categories must be a list of strings (non-empty without a "
                    "pooled level)."
                )
            if cats != sorted(set(cats)):
                raise DataError(f"{where}.categories must be sorted and unique.")
            if fill is not None and not isinstance(fill, str):
                raise DataError(f"{where}.fill must be a category (a string) or null.")
            if fill is not None and fill not in cats and not other:
                raise DataError(f"{where}.fill {fill!r} is not one of its categories.")
            reference = c.get("reference")
            first = cats[0] if cats else None
            if drop_first and reference != first:
                raise DataError(
                    f"{where}.reference must be its first category {first!r} "
                    f"(preprocessing.drop_first is true), got {reference!r}."
                )
            if not drop_first and reference is not None:
                raise DataError(f"{where}.reference is set but preprocessing.drop_first is false.")
            specs.append(
                ColumnSpec(
                    name,
                    kind,
                    categories=list(cats),
                    fill=fill,
                    reference=reference,
                    other=other,
                )
            )
        else:
            raise DataError(
                f"{where}.kind={kind!r} is not one of 'numeric', 'categorical', 'boolean'."
            )
        if impute is None and fill is not None:
            raise DataError(f"{where}.fill is set but preprocessing.impute is null.")
        if impute is not None and fill is None:
            raise DataError(f"{where}.fill is null but preprocessing.impute is {impute!r}.")
    params = dict(impute=impute, standardize=standardize, drop_first=drop_first, sparse=sparse)
    return params, specs
