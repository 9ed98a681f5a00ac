"""``logistic report``: the seeds' mathematics on a model and labelled data, as one HTML page
(:func:`logistic.report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from logistic.errors import InvalidParameterError

from . import _options as opt
from ._app import app
from ._inputs import labelled_inputs, load_model, read_for
from ._output import Output

__all__ = ["report"]

REPORT_EXAMPLES = """
**Examples**

```
logistic report model.json data.csv -o report.html
logistic report model.json test.parquet --row 7 --row 42 --threshold 0.3 -o test.html
```
"""


@app.command(epilog=REPORT_EXAMPLES)
def report(
    model: opt.ModelArg,
    data: opt.LabelledDataArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    target: opt.SavedTargetOpt = None,
    row: Annotated[
        list[int] | None,
        typer.Option(
            "--row",
            "-r",
            help="Data row (1-based, header excluded) whose graph the page must hold; "
            "repeat for several.",
            show_default=False,
        ),
    ] = None,
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows", min=1, help="Rows whose graph the page holds (a sample beyond)."
        ),
    ] = 100,
    threshold: opt.ThresholdOpt = None,
    no_story: Annotated[
        bool,
        typer.Option("--no-story", help="Leave out the learning-rate story (gradient descent)."),
    ] = False,
    title: Annotated[str | None, typer.Option(help="The page's title.")] = None,
    sep: opt.SepOpt = None,
    decimal: opt.DecimalOpt = ".",
    thousands: opt.ThousandsOpt = None,
    encoding: opt.EncodingOpt = "utf-8",
    file_format: opt.FormatOpt = None,
    quiet: opt.QuietOpt = False,
    as_json: opt.JsonOpt = False,
) -> None:
    """One self-contained HTML page: the fit, its quality, the coefficients, the computation
    graph of a row you pick and the learning-rate story.

    The page shows the loss and max|gradient| per iteration; ROC, precision-recall and
    calibration; the confusion matrix at a threshold you move; the coefficients (searchable,
    with intervals when the model file stores them); the graph x, w, b -> z = w.x + b -> a =
    sigmoid(z) -> L with every local derivative dL/da, da/dz = a(1-a), dz/dw = x, dz/db = 1
    and the products dL/dz = a - y, dL/dw = (a - y) x (the softmax graph for a multinomial
    model); gradient descent at the automatic rate 1/L and at rates too small and too large.
    It loads nothing from the network.
    """
    # The library is imported here, not when the application starts (--help stays light).
    from logistic import report as write_report
    from logistic.tables import check_output_path

    out = Output(quiet, as_json)
    check_output_path(output, "report", inputs=(model, data))
    m = load_model(model)
    K = len(m.classes_)
    threshold = opt.model_threshold(threshold, K)
    table = read_for(m, data, **opt.read_options(sep, decimal, thousands, encoding, file_format))
    n = table.num_rows
    rows = list(row or [])
    bad = [r for r in rows if not 1 <= r <= n]
    if bad:
        raise InvalidParameterError(
            f"--row {bad[0]} is out of range; the data has {n} rows, so --row accepts 1 to {n}."
        )
    y, X = labelled_inputs(m, table, target, out)
    out.info(f"writing the report of {n} rows of {data.name}")
    path = write_report(
        m,
        X,
        y,
        output,
        table=table,
        first_row=1,
        rows=[r - 1 for r in rows],
        max_rows=max_rows,
        threshold=threshold if threshold is not None else 0.5,
        story=not no_story,
        data_name=data.name,
        title=title,
    )
    size = path.stat().st_size
    out.json({"report": str(path), "bytes": size, "rows": n, "classes": K})
    out.line(f"report: {path} ({size / 1024:.0f} KB)")
