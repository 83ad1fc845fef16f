"""
Every benchmark, one table: what C{make bench} runs.

Runs bulk.py, handshakes.py, keepalive.py, idle.py and renegotiation.py
(each with both implementations in this one invocation, interleaved) and
workers.py (ours only: C{twistd reneg --workers 2} against one process),
and prints one Markdown table: for each figure the median of the runs and
their min-max for us and for Twisted + pyOpenSSL, the ratio of the
medians, the goal, whether it is met, and the command that reproduces the
row on its own.  Progress goes to stderr, the table to stdout.

    .venv/bin/python bench/all.py [--quick] [--only NAME ...] [--output FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import bulk  # noqa: E402
import handshakes  # noqa: E402
import idle  # noqa: E402
import keepalive  # noqa: E402
import renegotiation  # noqa: E402
import workers  # noqa: E402
from _common import IMPLS, PLAIN, SUITES, TLS13_AES128  # noqa: E402

PY = ".venv/bin/python"


@dataclass(frozen=True)
class Goal:
    """
    What a figure should reach.

    @ivar kind: C{"ratio>="} (ours/pyOpenSSL at least C{target}, higher is
        better), C{"ratio<="} (at most, lower is better), C{"abs<="} (our
        median at most C{target}, in the figure's unit) or C{"none"}.
    @ivar target: the bound.
    @ivar text: how the goal column shows it.
    """

    kind: str
    target: float = 0.0
    text: str = ""

    def met(self, ours: float | None, theirs: float | None) -> str:
        if ours is None or self.kind == "none":
            return "n/a"
        if self.kind == "abs<=":
            return "met" if ours <= self.target else "NOT MET"
        if theirs is None or theirs <= 0:
            return "n/a"
        ratio = ours / theirs
        ok = ratio >= self.target if self.kind == "ratio>=" else ratio <= self.target
        return "met" if ok else "NOT MET"


def higher(target: float) -> Goal:
    return Goal("ratio>=", target, f"≥ {target:.1f}×")


def lower(target: float) -> Goal:
    return Goal("ratio<=", target, f"≤ {target:.1f}× (lower is better)")


def atMost(target: float, unit: str) -> Goal:
    return Goal("abs<=", target, f"≤ {target:g} {unit} (ours, absolute)")


@dataclass
class Figure:
    """
    One row of the table.

    @ivar values: the runs per implementation.
    @ivar ceiling: what the ceiling column shows, when it is not the
        figure over plain TCP (C{values[PLAIN]}).
    """

    label: str
    goal: Goal
    command: str
    values: dict[str, list[float]] = field(default_factory=lambda: {i: [] for i in IMPLS})
    ceiling: str = ""
    #: bulk rows: each side's CPU per 16 KiB record, ours against pyOpenSSL.
    perRecord: str = "—"


def _number(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _cell(values: list[float]) -> str:
    if not values:
        return "—"
    median = statistics.median(values)
    if len(values) == 1:
        return _number(median)
    return f"{_number(median)} ({_number(min(values))}–{_number(max(values))})"


def table(figures: list[Figure]) -> str:
    """
    The Markdown table of C{figures}.
    """
    lines = [
        "| figure | us | Twisted + pyOpenSSL | ratio | goal | met? | plain TCP: ceiling"
        " | CPU µs per 16 KiB record, us / pyOpenSSL | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        ours = statistics.median(f.values["ours"]) if f.values["ours"] else None
        theirs = statistics.median(f.values["pyopenssl"]) if f.values["pyopenssl"] else None
        ratio = f"{ours / theirs:.2f}×" if ours is not None and theirs else "—"
        cells = [f.label, _cell(f.values["ours"]), _cell(f.values["pyopenssl"]), ratio]
        cells += [f.goal.text, f.goal.met(ours, theirs), _ceiling(f, theirs), f.perRecord]
        cells.append(f"`{f.command}`")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ceiling(f: Figure, theirs: float | None) -> str:
    """
    The same benchmark over plain TCP, and its ratio to pyOpenSSL: what a
    TLS layer costing nothing would show, Twisted's own cost being the rest.
    """
    if f.ceiling:
        return f.ceiling
    plain = f.values.get(PLAIN)
    if not plain:
        return "—"
    median = statistics.median(plain)
    return f"{_number(median)} ({median / theirs:.2f}×)" if theirs else _number(median)


@dataclass(frozen=True)
class Sizes:
    """
    How much each benchmark does: C{--quick} or the full run.
    """

    runs: int
    handshakes: int
    bulkMiB: int
    smallMiB: int
    turnMiB: int
    requests: int
    conns: int
    rekeys: int
    workerSeconds: int


FULL = Sizes(
    runs=3,
    handshakes=200,
    bulkMiB=64,
    smallMiB=16,
    turnMiB=2,
    requests=2000,
    conns=1000,
    rekeys=300,
    workerSeconds=5,
)
QUICK = Sizes(
    runs=2,
    handshakes=60,
    bulkMiB=24,
    smallMiB=6,
    turnMiB=1,
    requests=500,
    conns=1000,
    rekeys=100,
    workerSeconds=3,
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def benchHandshakes(pkiDir: str, s: Sizes) -> list[Figure]:
    rows = list(handshakes.ROWS.values())
    rates, cpus = handshakes.measure(pkiDir, rows, [*IMPLS, PLAIN], s.handshakes, s.runs, log)
    figures = []
    for r in rows:
        command = (
            f"{PY} bench/handshakes.py --row {r.key} --count {s.handshakes} --runs {s.runs}"
            " --impl all"
        )
        kind = "resumed" if r.resumed else "full"
        f = Figure(
            f"{kind} handshakes/s, {r.label.split(', ', 1)[1]}",
            # P14's goals: what a Python handshake on top of OpenSSL's
            # primitives should reach against OpenSSL's own state machine.
            higher(1.0 if r.resumed else 0.9),
            command,
        )
        f.values = rates[r.key]
        figures.append(f)
    for r in rows:
        if r.resumed:
            continue
        command = (
            f"{PY} bench/handshakes.py --row {r.key} --count {s.handshakes} --runs {s.runs}"
            " --impl all"
        )
        f = Figure(
            f"server CPU ms per full handshake, {r.label.split(', ', 1)[1]}", lower(1.0), command
        )
        f.values = cpus[r.key]
        figures.append(f)
    return figures


def _perRecord(results: bulk.Results, key: str) -> str:
    """
    Each side's CPU per 16 KiB record, ours / pyOpenSSL (medians): which
    side limits the transfer, and by how much each costs.
    """

    def side(name: str, table: dict[str, dict[str, list[float]]]) -> str:
        ours = statistics.median(table[key]["ours"])
        theirs = statistics.median(table[key]["pyopenssl"])
        return f"{name} {ours:.1f} / {theirs:.1f} ({ours / theirs:.2f}×)"

    return ", ".join(
        (side("sender", results.senderMicros), side("receiver", results.receiverMicros))
    )


#: Bulk write sizes and the goal for each: at least 1.2× Twisted's TLS at
#: the sizes applications write (FileSender's 16 KiB, static.File's 64 KiB);
#: the 256 KiB row keeps its older goal, and is no general case: Twisted's
#: TLS copies its buffer once per record at large writes (bench/README.md).
BULK_SIZES = (
    (16 * 1024, "16 KiB writes (FileSender)", 1.2),
    (64 * 1024, "64 KiB writes (static.File)", 1.2),
    (256 * 1024, "256 KiB writes", 1.5),
)


def benchBulk(pkiDir: str, s: Sizes) -> list[Figure]:
    suites = list(SUITES.values())
    impls = [*IMPLS, PLAIN]
    figures = []
    for size, shape, target in BULK_SIZES:
        results = bulk.measure(pkiDir, suites, impls, s.bulkMiB << 20, s.runs, size, log=log)
        for suite in suites:
            command = (
                f"{PY} bench/bulk.py --suite {suite.key} --write-size {size}"
                f" --mib {s.bulkMiB} --runs {s.runs} --impl all"
            )
            f = Figure(f"bulk MiB/s, {shape}, {suite.label}", higher(target), command)
            f.values = results.rates[suite.key]
            f.perRecord = _perRecord(results, suite.key)
            figures.append(f)
    for perTurn, mib, shape in (
        (0, s.smallMiB, "as many per turn as TCP takes"),
        (1, s.turnMiB, "one per reactor turn"),
    ):
        small = bulk.measure(
            pkiDir, [TLS13_AES128], impls, mib << 20, s.runs, 100, log, perTurn=perTurn
        )
        command = (
            f"{PY} bench/bulk.py --suite {TLS13_AES128.key} --write-size 100"
            f" --per-turn {perTurn} --mib {mib} --runs {s.runs} --impl all"
        )
        f = Figure(
            f"small writes: 100-byte messages/s, {shape}, {TLS13_AES128.label}",
            higher(1.5),
            command,
        )
        # MiB/s of 100-byte writes, as messages per second.
        f.values = {
            i: [v * (1 << 20) / 100 for v in vs] for i, vs in small.rates[TLS13_AES128.key].items()
        }
        figures.append(f)
    return figures


def benchKeepAlive(pkiDir: str, s: Sizes) -> list[Figure]:
    results = keepalive.measure(pkiDir, [*IMPLS, PLAIN], s.requests, s.runs, log)
    command = f"{PY} bench/keepalive.py --requests {s.requests} --runs {s.runs} --impl all"
    f = Figure(
        f"HTTP/1.1 keep-alive requests/s through twisted.web, {keepalive.SUITE.label}",
        higher(1.5),
        command,
    )
    f.values = results
    return [f]


def benchIdle(pkiDir: str, s: Sizes) -> list[Figure]:
    suites = list(idle.SUITES.values())
    server, client = idle.measure(pkiDir, suites, list(IMPLS), s.conns, s.runs, log)
    figures = []
    for side, results in (("server", server), ("client", client)):
        for suite in suites:
            command = f"{PY} bench/idle.py --suite {suite.key} --conns {s.conns} --runs {s.runs}"
            f = Figure(
                f"{side} KiB per idle connection ({s.conns} conns, RSS delta),"
                f" TLS {suite.version}",
                atMost(6, "KiB"),
                command,
            )
            f.values = results[suite.key]
            figures.append(f)
    return figures


def benchRenegotiation(pkiDir: str, s: Sizes) -> list[Figure]:
    rows = list(renegotiation.ROWS.values())
    cpus, growth = renegotiation.measure(pkiDir, rows, list(IMPLS), s.rekeys, s.runs, log=log)
    figures = []
    for r in rows:
        command = f"{PY} bench/renegotiation.py --row {r.key} --count {s.rekeys} --runs {s.runs}"
        theirs = "pyOpenSSL renegotiate()" if "pyopenssl" in r.impls else "ours only"
        goal = lower(1.0) if "pyopenssl" in r.impls else Goal("none", text="— (no SSL_key_update)")
        f = Figure(f"server CPU ms per {r.label} on one connection ({theirs})", goal, command)
        f.values = cpus[r.key]
        figures.append(f)
        half = s.rekeys - s.rekeys // 2
        f = Figure(
            f"server RSS growth, bytes per {r.label}, over the last {half} of {s.rekeys}",
            atMost(100, "B/op: flat"),
            command,
        )
        # KiB over the second half, as bytes per operation: a figure that
        # does not shrink as the run gets longer when something leaks.
        f.values = {i: [v * 1024 / half for v in vs] for i, vs in growth[r.key].items()}
        figures.append(f)
    return figures


def benchWorkers(pkiDir: str, s: Sizes) -> list[Figure]:
    """
    Ours only: C{twistd reneg --workers 2} in the "us" column, one process
    of ours in the pyOpenSSL one; the ceiling is what the machine's cores
    allow at the CPU per handshake measured (L{workers.Result.ceiling}),
    with the other processes' load beside it.
    """
    rows = list(workers.ROWS.values())
    results = workers.measure(pkiDir, rows, 2, s.workerSeconds, workers.CLIENTS, s.runs, log)
    figures = []
    for r in rows:
        command = (
            f"{PY} bench/workers.py --row {r.key} --seconds {s.workerSeconds} --runs {s.runs}"
        )
        f = Figure(
            f"full handshakes/s, {r.label.split(', ', 1)[1]}: `twistd reneg --workers 2`"
            " (us) against one process of ours (in the pyOpenSSL column),"
            f" {workers.CLIENTS} × `openssl s_time -new`, {os.cpu_count()} cores",
            higher(1.5),
            command,
        )
        f.values = {
            "ours": [x.rate for x in results[r.key][2]],
            "pyopenssl": [x.rate for x in results[r.key][1]],
        }
        top, topRatio = workers.ceiling(results[r.key][1], results[r.key][2])
        other = workers.otherLoad(results[r.key][1] + results[r.key][2])
        f.ceiling = (
            f"{_cell(top)}, {topRatio:.2f}× one process: what {os.cpu_count()} cores allow"
            f" at the CPU per handshake measured (other processes took {other:.2f} cores)"
        )
        figures.append(f)
    return figures


BENCHES: dict[str, Callable[[str, Sizes], list[Figure]]] = {
    "handshakes": benchHandshakes,
    "bulk": benchBulk,
    "keepalive": benchKeepAlive,
    "idle": benchIdle,
    "renegotiation": benchRenegotiation,
    "workers": benchWorkers,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs (~2 min)")
    parser.add_argument(
        "--only", action="append", choices=list(BENCHES), help="run only these (repeatable)"
    )
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    names = list(dict.fromkeys(args.only)) if args.only else list(BENCHES)

    from twisted_reneg.testing.pki import makePKI

    figures: list[Figure] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        for name in names:
            log(f"== {name}")
            figures += BENCHES[name](pkiDir, sizes)
    text = table(figures)
    notes = [
        "",
        f"{'quick' if args.quick else 'full'} run, {sizes.runs} runs per cell:"
        " median (min–max); ratio = median us / median pyOpenSSL;"
        f" took {time.monotonic() - started:.0f} s.",
    ]
    print(text + "\n".join(notes))
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n".join(notes) + "\n")


if __name__ == "__main__":
    main()
