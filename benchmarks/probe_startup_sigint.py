"""How ``logistic`` answers a Ctrl-C during its start-up: the outcome per delay.

Starts ``logistic train --help`` again and again, waits until ``/proc/PID/status`` shows a
SIGINT handler (``SigCgt``: Python has installed its own), sleeps a delay and sends SIGINT;
counts the outcomes per delay: ``130+1line`` (the command's one line), ``0`` (the help was
printed first), or the status with ``traceback``. Linux only (``/proc``).

    python benchmarks/probe_startup_sigint.py [--runs 8] [--script PATH]

Numbers in docs/cli.md ("Exit statuses").
"""

from __future__ import annotations

import argparse
import collections
import signal
import subprocess
import sys
import time
from pathlib import Path

DELAYS = (0.0, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3)


def catches_sigint(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            caught = next(line for line in fh if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def outcome(script: str, delay: float) -> tuple[str, str]:
    """The kind of ending (see the module's docstring) and the stderr of the run."""
    proc = subprocess.Popen(
        [script, "train", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    while not catches_sigint(proc.pid) and proc.poll() is None:
        time.sleep(0.0005)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate()
    text = err.decode(errors="replace")
    lines = text.strip().splitlines()
    if proc.returncode == 130 and len(lines) == 1:
        return "130+1line", text
    if proc.returncode == 0:
        return "0", text
    return f"{proc.returncode}/{'traceback' if 'Traceback' in text else len(lines)}", text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--script", default=str(Path(sys.executable).with_name("logistic")))
    args = parser.parse_args()
    counts = collections.defaultdict(collections.Counter)
    examples = {}
    for _ in range(args.runs):
        for delay in DELAYS:  # interleaved: a change of load touches every delay alike
            kind, err = outcome(args.script, delay)
            counts[delay][kind] += 1
            examples.setdefault(kind, (delay, err))
    for delay in DELAYS:
        print(f"{delay * 1000:5.0f} ms  {dict(counts[delay])}")
    for kind, (delay, err) in examples.items():
        if kind != "0":
            print(f"-- first {kind} (at {delay * 1000:.0f} ms):\n{err[-1200:]}")


if __name__ == "__main__":
    main()
