"""``logistic explain``: the computation graph of one data row (:func:`logistic.explain`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from logistic.errors import InvalidParameterError

from . import _options as opt
from ._app import app
from ._inputs import labelled_inputs, load_model, read_for
from ._output import Output, check_outputs, py

__all__ = ["explain"]

EXPLAIN_EXAMPLES = """
**Examples**

```
logistic explain model.json data.csv --row 1
logistic explain model.json data.csv --row 42 --plots plots/ --json
```
"""


@app.command(epilog=EXPLAIN_EXAMPLES)
def explain(
    model: opt.ModelArg,
    data: opt.LabelledDataArg,
    row: Annotated[
        int, typer.Option("--row", "-r", help="Data row to explain, 1-based (header excluded).")
    ],
    target: opt.SavedTargetOpt = None,
    plots: Annotated[
        Path | None, typer.Option(help="Directory for graph.png (default: the current directory).")
    ] = None,
    no_plots: opt.NoPlotsOpt = False,
    all_features: Annotated[
        bool, typer.Option("--all", help="List every feature, also those with x = 0.")
    ] = False,
    sep: opt.SepOpt = None,
    decimal: opt.DecimalOpt = ".",
    thousands: opt.ThousandsOpt = None,
    encoding: opt.EncodingOpt = "utf-8",
    file_format: opt.FormatOpt = None,
    quiet: opt.QuietOpt = False,
    as_json: opt.JsonOpt = False,
) -> None:
    """The computation graph of one row: z, a, L and every local derivative.

    Forward: z = w.x + b, a = sigmoid(z), L = -(y log a + (1-y) log(1-a)). Backward: the
    local derivatives dL/da, da/dz, dz/dw = x, dz/db = 1 and their chain-rule products
    dL/dz = a - y, dL/dw = (a - y) x, dL/db = a - y. Writes graph.png. A multinomial model
    shows the softmax graph: z = W^T x + b, a = softmax(z), L = -log a_y, da/dz =
    diag(a) - a a^T, dL/dz = a - onehot(y), dL/dW = x (a - onehot(y))^T.
    """
    # The library is imported here, not when the application starts (--help stays light).
    import scipy.sparse as sp
    from rich.markup import escape
    from rich.table import Table

    from logistic import explain as trace_of

    out = Output(quiet, as_json)
    plot_dir = opt.plots_dir(plots, no_plots, Path("."), "graph.png")
    check_outputs(plot_dir, ("graph.png",), "plot", inputs=(model, data))
    m = load_model(model)
    table = read_for(m, data, **opt.read_options(sep, decimal, thousands, encoding, file_format))
    n = table.num_rows
    if not 1 <= row <= n:
        raise InvalidParameterError(
            f"--row {row} is out of range; the data has {n} rows, so --row accepts 1 to {n}."
        )
    one = table.slice(row - 1, 1)
    y, X = labelled_inputs(m, one, target, out)
    x = X.toarray()[0] if sp.issparse(X) else X[0]  # one row: dense for the graph
    trace = trace_of(m.estimator, x, y[0], feature_names=m.feature_names)
    label = py(y[0])
    written = {}
    if plot_dir is not None:
        from logistic.plots import plot_graph  # matplotlib: only when drawing

        written["graph"] = str(
            plot_graph(
                trace,
                plot_dir / "graph.png",
                title=f"{data.name}, row {row}: y = {label!r} ({len(m.classes_)} classes)",
            )
        )
    raw = {k: py(v) for k, v in one.to_pylist()[0].items()}
    out.json({"row": row, "label": label, "input": raw, "trace": trace.as_dict(), "files": written})

    f = trace.nodes.formulas
    nodes = Table()
    for name, justify in (("quantity", "left"), ("formula", "left"), ("value", "right")):
        nodes.add_column(name, justify=justify)
    for quantity, formula, value in trace.rows():
        nodes.add_row(escape(quantity), escape(formula), value)
    out.table(
        nodes,
        f"row {row} of {data.name}: y = {label!r}; z = {f['z']}, a = {f['a']}, L = {f['L']}",
    )
    per_feature = trace.feature_rows(all_features=all_features, contributions=False)
    feats = Table()
    for k, name in enumerate(per_feature.header):
        feats.add_column(escape(name), justify="left" if k == 0 else "right", overflow="fold")
    for cells in per_feature.rows:
        feats.add_row(*(escape(c) for c in cells))
    out.table(feats, per_feature.title)
    if per_feature.note:
        out.line(f"({per_feature.note}; --all lists them)")
    if trace.note:
        out.line(trace.note)
    for what, path in written.items():
        out.line(f"{what}: {path}")
