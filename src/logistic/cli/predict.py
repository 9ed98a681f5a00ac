"""``logistic predict``: the probabilities and the label of every row of a data file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from logistic.errors import DataError, InvalidParameterError

from ._app import app
from ._inputs import load_model, model_inputs, read_for
from ._options import (
    DecimalOpt,
    EncodingOpt,
    FormatOpt,
    JsonOpt,
    ModelArg,
    QuietOpt,
    SepOpt,
    ThousandsOpt,
    ThresholdOpt,
    csv_list,
    model_threshold,
    read_options,
)
from ._output import Output, py

__all__ = ["predict"]

PREDICT_EXAMPLES = """
**Examples**

```
logistic predict model.json new.csv                  # CSV on stdout
logistic predict model.json new.parquet -o predictions.csv --keep id
```
"""


@app.command(epilog=PREDICT_EXAMPLES)
def predict(
    model: ModelArg,
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file; columns matched by name.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="CSV to write (default: CSV on stdout).", show_default=False
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(help="Comma-separated input columns to copy into the output (ids...)."),
    ] = None,
    threshold: ThresholdOpt = None,
    sep: SepOpt = None,
    decimal: DecimalOpt = ".",
    thousands: ThousandsOpt = None,
    encoding: EncodingOpt = "utf-8",
    file_format: FormatOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Probability of the positive class (each class) and predicted label for every row.

    The output CSV has the --keep columns, then 'probability' (of the model's second class,
    the positive one) and 'label'; for a multinomial model one column 'p_CLASS' per class
    instead of 'probability'. Columns of DATA are matched to the model by name; extra columns are
    ignored. Categories not seen in training encode as zeros and are counted in a warning.
    """
    # The library is imported here, not when the application starts (--help stays light).
    import numpy as np
    import pyarrow as pa

    from logistic.tables import check_output_path, write_csv

    out = Output(quiet, as_json)
    if output is not None:
        # Not the model or the data (the rename would replace them), not a device or a pipe.
        check_output_path(
            output, "predictions", inputs=(model, data), hint="or omit -o to write on stdout"
        )
    keep_list = csv_list(keep, "--keep") or []
    m = load_model(model)
    table = read_for(m, data, **read_options(sep, decimal, thousands, encoding, file_format))
    if keep_list:
        unknown = [c for c in keep_list if c not in table.column_names]
        if unknown:
            raise DataError(
                f"--keep column {unknown[0]!r} not found in {data}; available: "
                f"{', '.join(table.column_names)}."
            )
        clash = [c for c in keep_list if c in ("probability", "label") or c.startswith("p_")]
        if clash:
            raise InvalidParameterError(
                f"--keep {clash[0]!r} clashes with an output column; keep other columns."
            )
    X = model_inputs(m, table, out)
    full = m.estimator.predict_proba(X)
    t = model_threshold(threshold, len(m.classes_))
    if t is None:
        labels = m.estimator.predict(X)
    else:
        labels = m.classes_[(full[:, 1] > t).astype(np.intp)]
    classes = [py(c) for c in m.classes_]
    binary = len(classes) == 2
    if binary:
        columns = {"probability": pa.array(full[:, 1])}
    else:
        columns = {f"p_{c}": pa.array(full[:, k]) for k, c in enumerate(classes)}
    result = pa.table(
        {
            **{c: table.column(c) for c in keep_list},
            **columns,
            "label": pa.array([py(v) for v in labels]),
        }
    )
    doc = {"rows": len(labels), "classes": classes}
    if binary:
        doc["positive_class"] = classes[1]
    if output is not None:
        write_csv(result, output)
        what = f"probability of {classes[1]!r}" if binary else f"{len(classes)} classes"
        out.info(f"wrote {len(labels)} predictions to {output} ({what})")
        out.json({**doc, "output": str(output)})
    elif as_json:
        probability = (
            full[:, 1].tolist()
            if binary
            else {str(c): full[:, k].tolist() for k, c in enumerate(classes)}
        )
        out.json({**doc, "probability": probability, "label": [py(v) for v in labels]})
    else:
        import pyarrow.csv as pacsv

        sink = pa.BufferOutputStream()
        pacsv.write_csv(result, sink)
        sys.stdout.write(sink.getvalue().to_pybytes().decode("utf-8"))
        sys.stdout.flush()
