"""formulaic's learned state (category levels, contrasts, stateful transforms) as plain JSON,
and learning it over a stream of batches.

A formula's model spec remembers what it learned from the training rows: the levels of
each categorical factor with its contrasts (``encoder_state``) and the parameters of
stateful transforms such as ``center``, ``scale`` or ``poly`` (``transform_state``). A model
file keeps them as JSON so that ``predict`` encodes new rows exactly as training did.

The encoding is tagged and closed: only JSON scalars, lists, dicts, tuples, NumPy arrays
and scalars, formulaic's factor kinds, its ``ContrastsState`` and its built-in contrast
classes are written or read. Nothing is looked up by a name taken from the file beyond
that fixed list, so reading a model file never runs code it names (unlike ``pickle``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import DataError

__all__ = ["ColumnStats", "merge_levels", "state_from_json", "state_to_json"]

# The contrast classes a model file may name; a custom class cannot be rebuilt from JSON.
_CONTRASTS = (
    "TreatmentContrasts",
    "SASContrasts",
    "SumContrasts",
    "HelmertContrasts",
    "DiffContrasts",
    "PolyContrasts",
    "CustomContrasts",
)


def _contrasts_module():
    from formulaic.transforms import contrasts

    return contrasts


def state_to_json(value, where: str = "formula state"):
    """``value`` (a formulaic state: dicts, lists, kinds, contrasts, numbers) as JSON data.

    Raises
    ------
    DataError
        Something in the state cannot be written (a user-defined contrast or transform
        whose state is an arbitrary object); the message names it.
    """
    from formulaic.parser.types import Factor
    from formulaic.utils.sentinels import Sentinel

    contrasts = _contrasts_module()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return {"__float__": repr(v)}
        return v
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Factor.Kind):
        return {"__kind__": value.value}
    if isinstance(value, contrasts.ContrastsState):
        return {
            "__contrasts_state__": {
                "contrasts": state_to_json(value.contrasts, where),
                "levels": state_to_json(list(value.levels), where),
            }
        }
    if isinstance(value, contrasts.Contrasts):
        name = type(value).__name__
        if name not in _CONTRASTS or not dataclasses.is_dataclass(value):
            raise DataError(
                f"{where}: contrasts {name} cannot be saved in a model file; use one of "
                f"{', '.join(c.removesuffix('Contrasts') for c in _CONTRASTS)}."
            )
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__contrasts__": name, "fields": state_to_json(fields, where)}
    if isinstance(value, Sentinel):
        return {"__sentinel__": value.name}
    if isinstance(value, np.ndarray):
        return {"__array__": state_to_json(value.tolist(), where), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [state_to_json(v, where) for v in value]}
    if isinstance(value, list):
        return [state_to_json(v, where) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("__") for k in value):
            return {k: state_to_json(v, where) for k, v in value.items()}
        return {
            "__items__": [
                [state_to_json(k, where), state_to_json(v, where)] for k, v in value.items()
            ]
        }
    raise DataError(
        f"{where}: a value of type {type(value).__name__} cannot be saved in a model file "
        "(a user-defined transform or contrast); write the transformed column into the data."
    )


def state_from_json(value, where: str = "formula state"):
    """The inverse of :func:`state_to_json`.

    Raises
    ------
    DataError
        The data is not what :func:`state_to_json` writes; the message names ``where``.
    """
    from formulaic.parser.types import Factor

    contrasts = _contrasts_module()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [state_from_json(v, where) for v in value]
    if not isinstance(value, dict):
        raise DataError(f"{where}: unexpected {type(value).__name__} in a formula's state.")
    if "__kind__" in value:
        try:
            return Factor.Kind(value["__kind__"])
        except ValueError:
            raise DataError(f"{where}: unknown factor kind {value['__kind__']!r}.") from None
    if "__float__" in value:
        text = value["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise DataError(f"{where}: {text!r} is not a float.")
        return float(text)
    if "__sentinel__" in value:
        from formulaic.utils.sentinels import Sentinel

        try:
            return Sentinel[value["__sentinel__"]]
        except KeyError:
            raise DataError(f"{where}: unknown sentinel {value['__sentinel__']!r}.") from None
    if "__contrasts_state__" in value:
        d = _dict(value["__contrasts_state__"], where)
        return contrasts.ContrastsState(
            contrasts=state_from_json(d.get("contrasts"), where),
            levels=state_from_json(d.get("levels"), where),
        )
    if "__contrasts__" in value:
        name = value["__contrasts__"]
        if name not in _CONTRASTS:
            raise DataError(f"{where}: contrasts {name!r} are not one of {list(_CONTRASTS)}.")
        fields = state_from_json(_dict(value.get("fields", {}), where), where)
        try:
            return getattr(contrasts, name)(**fields)
        except TypeError as exc:
            raise DataError(f"{where}: contrasts {name}: {exc}.") from None
    if "__array__" in value:
        try:
            return np.asarray(state_from_json(value["__array__"], where), dtype=value["dtype"])
        except (TypeError, ValueError):
            raise DataError(f"{where}: an array of the formula's state does not read.") from None
    if "__tuple__" in value:
        return tuple(state_from_json(v, where) for v in _list(value["__tuple__"], where))
    if "__items__" in value:
        items = _list(value["__items__"], where)
        if not all(isinstance(kv, list) and len(kv) == 2 for kv in items):
            raise DataError(f"{where}: a mapping of the formula's state does not read.")
        return {_key(state_from_json(k, where), where): state_from_json(v, where) for k, v in items}
    return {k: state_from_json(v, where) for k, v in value.items()}


def _dict(v, where):
    if not isinstance(v, dict):
        raise DataError(f"{where}: expected a mapping in a formula's state.")
    return v


def _list(v, where):
    if not isinstance(v, list):
        raise DataError(f"{where}: expected a list in a formula's state.")
    return v


def _key(k, where):
    if isinstance(k, list):
        raise DataError(f"{where}: a list cannot be a key of a formula's state.")
    return k


def merge_levels(a, b):
    """The model spec ``a`` with each categorical factor's levels the union of ``a``'s and
    ``b``'s (two batches of one stream), sorted as formulaic sorts one batch's."""
    from formulaic.parser.types import Factor
    from formulaic.transforms.contrasts import ContrastsState

    state = dict(a.encoder_state)
    for name, (kind, sa) in b.encoder_state.items():
        if name not in state:
            state[name] = (kind, sa)
            continue
        ka, old = state[name]
        if ka is not Factor.Kind.CATEGORICAL or "categories" not in old:
            continue
        levels = list(old["categories"])
        new = [c for c in sa.get("categories", []) if c not in levels]
        if not new:
            continue
        try:
            levels = sorted([*levels, *new])
        except TypeError:  # mixed types: first seen first
            levels = [*levels, *new]
        merged = dict(old, categories=levels)
        if isinstance(old.get("contrasts"), ContrastsState):
            merged["contrasts"] = ContrastsState(
                contrasts=old["contrasts"].contrasts, levels=levels
            )
        state[name] = (ka, merged)
    return a.update(encoder_state=state, structure=None)


class ColumnStats:
    """Count, mean and sum of squared deviations of each column of a stream of CSR
    blocks (Chan, Golub and LeVeque's update), whether each is a 0/1 indicator, and the
    share of non-zeros."""

    def __init__(self):
        self.n = 0
        self.nnz = 0

    def add(self, Z):
        n, p = Z.shape
        mean = np.asarray(Z.mean(axis=0)).ravel()
        # the squared deviations about the block's mean: the zeros' share added apart
        dev = Z.data - mean[Z.indices]
        m2 = np.bincount(Z.indices, weights=dev * dev, minlength=p)
        m2 += (n - np.bincount(Z.indices, minlength=p)) * mean**2
        other = (Z.data != 0.0) & (Z.data != 1.0)
        data_binary = np.bincount(Z.indices[other], minlength=p) == 0
        if self.n == 0:
            self.mean, self.m2, self.binary = mean, m2, data_binary
        else:
            total = self.n + n
            delta = mean - self.mean
            self.mean = self.mean + delta * n / total
            self.m2 = self.m2 + m2 + delta**2 * self.n * n / total
            self.binary &= data_binary
        self.n += n
        self.nnz = self.nnz + np.bincount(Z.indices, minlength=p)

    def finish(self, columns, *, center: bool, standardize: bool):
        """``(means, scales, density)`` of the design's ``columns`` (indices)."""
        if self.n == 0:
            raise DataError("no data rows to learn the formula from.")
        sd = np.sqrt(self.m2[columns] / self.n)
        scaled = standardize & ~self.binary[columns]
        scales = np.where(scaled & (sd > 0), sd, 1.0)
        means = np.where(scaled & center, self.mean[columns], 0.0)
        density = self.nnz[columns].sum() / max(1, self.n * len(columns))
        return means, scales, density
