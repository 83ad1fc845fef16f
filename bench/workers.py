"""
Full TLS handshakes per second through C{twistd reneg --workers 2} against
one process (no C{--workers}), driven by OpenSSL's C client
(C{openssl s_time}), so that the figure is the server's.

Per configuration a C{twistd -n reneg --echo} server is started as a
subprocess on 127.0.0.1 (ECDSA P-256 certificate from the test PKI; TLS
1.3 as the endpoint's default, TLS 1.2 with C{maxVersion=1.2}), waited for
(a probe handshake with C{openssl s_client} that also checks what was
negotiated: version, suite, x25519, the certificate verified as
C{localhost} against the test CA), warmed up, measured, and stopped by its
PID (SIGTERM, then SIGKILL).  The load is C{--clients} C{openssl s_time
-new} processes in parallel, started together on a wall-clock second (s_time
stops on C{time(NULL)}, whole seconds, so clients started in the same second
stop together); each makes full handshakes one after the other, no session
reused (s_time prints C{*} per new connection and C{r} per resumed one,
which stops the run).  The figure is the sum of each client's connections
divided by its wall time.

Each server process's CPU time (C{/proc/PID/stat}, user + system) over the
timed window says how the connections spread over the workers (the
handshakes are alike, so CPU is proportional to connections); the clients'
CPU (C{getrusage(RUSAGE_CHILDREN)}) says how much of the machine's cores the
load generator itself takes.  From both, the ceiling: with C{nproc} cores,
at most C{nproc} / (server + client CPU seconds per handshake) handshakes
per second, whatever the number of workers; over the one-process figure,
the highest ratio this machine allows with this client.  C{/proc/stat}
gives the CPU other processes took during the window (the machine may be
shared), which the figures lose.

Runs interleave configurations.  Prints one line per run, then per row the
median (min-max) handshakes/s for one process and for the workers, their
ratio, the spread over the workers, and the command lines used.  Not a
test: timings live here only.

    .venv/bin/python bench/workers.py [--quick] [--runs 3] [--seconds 5]
        [--clients 4] [--workers 2] [--row all|tls13-ecdsa|tls12-ecdsa]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from _common import TLS12_AES128, TLS13_AES128, Suite  # noqa: E402

#: twistd of this virtualenv, next to the interpreter.
TWISTD = os.path.join(os.path.dirname(sys.executable), "twistd")
OPENSSL = "openssl"
#: Seconds of untimed load before each measurement (first-use costs, and
#: every worker up and accepting).
WARMUP = 1
#: How long a server gets to start, and to stop after SIGTERM.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: s_time processes at once (each makes one connection at a time).
CLIENTS = 4


@dataclass(frozen=True)
class Row:
    """
    One line of the result table.

    @ivar key: the C{--row} name.
    @ivar label: what the table prints.
    @ivar suite: the version and suite the client pins (the server offers
        its defaults, below C{endpointExtra}).
    @ivar endpointExtra: keywords added to the C{reneg:} description.
    @ivar clientFlags: s_time / s_client flags pinning version and suite.
    """

    key: str
    label: str
    suite: Suite
    endpointExtra: str
    clientFlags: tuple[str, ...]


ROWS = {
    r.key: r
    for r in (
        Row(
            "tls13-ecdsa",
            "full, TLS 1.3, ECDSA P-256",
            TLS13_AES128,
            "",
            ("-tls1_3", "-ciphersuites", TLS13_AES128.openssl),
        ),
        Row(
            "tls12-ecdsa",
            "full, TLS 1.2, ECDSA P-256",
            TLS12_AES128,
            ":maxVersion=1.2",
            ("-tls1_2", "-cipher", TLS12_AES128.openssl),
        ),
    )
}


def freePort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serverCommand(pkiDir: str, row: Row, port: int, workers: int) -> list[str]:
    key = os.path.join(pkiDir, "ecdsa-server-key.pem")
    cert = os.path.join(pkiDir, "ecdsa-server.pem")
    listen = f"reneg:{port}:interface=127.0.0.1:privateKey={key}:certKey={cert}{row.endpointExtra}"
    command = [TWISTD, "-n", "--pidfile=", "reneg", "--listen", listen, "--echo"]
    if workers > 1:
        command += ["--workers", str(workers)]
    return command


def clientCommand(row: Row, port: int, seconds: int) -> list[str]:
    return [
        OPENSSL,
        "s_time",
        "-connect",
        f"127.0.0.1:{port}",
        "-new",
        "-time",
        str(seconds),
        *row.clientFlags,
        # s_time does not verify the server (no -verify); without these it
        # still loads the system CA bundle and looks the chain up in it on
        # every handshake, some 0.3 ms of its CPU each.
        "-no-CAfile",
        "-no-CApath",
        "-no-CAstore",
    ]


def children(pid: int) -> list[int]:
    """
    The PIDs whose parent is C{pid} (from C{/proc/*/stat}).
    """
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def cpuSeconds(pid: int) -> float:
    """
    User + system CPU seconds of process C{pid} so far (C{/proc/PID/stat}).
    """
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 (utime, stime) of proc(5); [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def childrenCPU() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def probe(pkiDir: str, row: Row, port: int) -> dict[str, str] | None:
    """
    One handshake with C{openssl s_client} (same defaults as s_time, plus
    verification): what was negotiated, or C{None} if nothing answers yet.
    """
    command = [
        OPENSSL,
        "s_client",
        "-brief",
        "-connect",
        f"127.0.0.1:{port}",
        "-CAfile",
        os.path.join(pkiDir, "ca.pem"),
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
        *row.clientFlags,
    ]
    result = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )
    if "CONNECTION ESTABLISHED" not in result.stderr:
        return None
    info = {}
    for line in result.stderr.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            info[name.strip()] = value.strip()
    return info


def checkProbe(row: Row, info: dict[str, str]) -> str:
    """
    Stop the benchmark unless the probe negotiated the row's version and
    suite, over x25519, with a verified ECDSA certificate.
    """
    want = {
        "Protocol version": row.suite.versionName,
        "Ciphersuite": row.suite.openssl,
        "Verification": "OK",
        "Signature type": "ECDSA",
    }
    got = {k: info.get(k) for k in want}
    group = info.get("Server Temp Key", "")
    if got != want or not group.startswith("X25519"):
        raise SystemExit(f"{row.key}: negotiated {info}, expected {want} and X25519")
    return f"{got['Protocol version']} {got['Ciphersuite']} {group.split(',')[0]}"


@dataclass
class Server:
    """
    One C{twistd reneg} subprocess and its workers.
    """

    process: subprocess.Popen[bytes]
    log: Any
    listen: str
    workers: list[int] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [self.process.pid, *self.workers]

    def stop(self) -> None:
        """
        SIGTERM to the server (the parent forwards it to its workers), then
        SIGKILL to each of our PIDs still there.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The parent waits for its workers on SIGTERM; one that outlived a
        # killed parent is killed by its PID, if that PID is still a worker.
        for pid in self.workers:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if b"--worker" in argv and any(self.listen.encode() in a for a in argv):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


def startServer(pkiDir: str, row: Row, port: int, workers: int) -> tuple[Server, str]:
    """
    Start the server and wait until it completes a handshake and, with
    workers, until each of them has said it started.

    @return: the server, and what the probe negotiated.
    """
    # O_APPEND: the server's writes go to the end whatever we read.
    log = tempfile.NamedTemporaryFile(mode="ab", prefix="workers-twistd-", suffix=".log")
    command = serverCommand(pkiDir, row, port, workers)
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(process, log, command[command.index("--listen") + 1])
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"{row.key}: server exited ({process.returncode}):\n{readLog(log)}"
                )
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"{row.key}: server not ready in {START_TIMEOUT} s:\n{readLog(log)[-2000:]}"
                )
            started = [int(p) for p in re.findall(r"worker (\d+) started", readLog(log))]
            ready = workers <= 1 or len(set(started)) >= workers
            info = probe(pkiDir, row, port) if ready else None
            if info is not None:
                break
            time.sleep(0.1)
        if workers > 1:
            server.workers = children(process.pid)
            if sorted(server.workers) != sorted(set(started)) or len(server.workers) != workers:
                raise SystemExit(f"{row.key}: workers {server.workers}, started {started}")
        return server, checkProbe(row, info)
    except BaseException:
        server.stop()
        raise


def readLog(log: Any) -> str:
    with open(log.name, "rb") as f:
        return f.read().decode(errors="replace")


def alignToSecond() -> None:
    """
    Unless early in a wall-clock second, sleep until just after the next:
    s_time stops at C{time(NULL) > start + seconds}, so clients started in
    one second stop together.  (After an aligned warm-up, whose clients
    stopped just after a second began, no sleep is needed.)
    """
    fraction = time.time() % 1
    if fraction > 0.5:
        time.sleep(1.01 - fraction)


def busyCPU() -> float:
    """
    CPU seconds every core of the machine has spent busy (C{/proc/stat}:
    all but idle and iowait), for the other processes' share.
    """
    with open("/proc/stat") as f:
        # user nice system idle iowait irq softirq steal (guest time is
        # already in user and nice).
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


def runClients(row: Row, port: int, seconds: int, clients: int) -> tuple[float, int]:
    """
    C{clients} s_time processes at once.

    @return: handshakes/s (the sum of each client's rate) and handshakes.
    """
    command = clientCommand(row, port, seconds)
    alignToSecond()
    processes = [
        (
            time.perf_counter(),
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        )
        for _ in range(clients)
    ]
    rate = 0.0
    total = 0
    for started, process in processes:
        out, _ = process.communicate(timeout=seconds + 60)
        elapsed = time.perf_counter() - started
        match = re.search(r"(\d+) connections in [\d.]+s;", out)
        if process.returncode != 0 or match is None:
            raise SystemExit(f"{row.key}: s_time failed ({process.returncode}):\n{out[-2000:]}")
        count = int(match.group(1))
        # After the "Collecting connection statistics" line: one mark per
        # connection, "*" for a new session ("r": reused), up to a blank line.
        marks = out.split("\n", 1)[-1].split("\n\n", 1)[0]
        if set(marks) != {"*"} or len(marks) != count:
            raise SystemExit(f"{row.key}: s_time resumed or miscounted:\n{out[-2000:]}")
        rate += count / elapsed
        total += count
    return rate, total


@dataclass
class Result:
    """
    One measurement of one configuration.

    @ivar serverCPU: CPU seconds over the timed window, by server PID (the
        parent first).
    @ivar clientCPU: the s_time processes' CPU seconds.
    @ivar otherCores: cores' worth of CPU every other process on the machine
        took during the window.
    """

    rate: float
    handshakes: int
    serverCPU: dict[int, float]
    clientCPU: float
    otherCores: float
    workers: list[int]

    @property
    def serverMs(self) -> float:
        """
        Server CPU milliseconds per handshake, all its processes.
        """
        return sum(self.serverCPU.values()) * 1000 / self.handshakes

    @property
    def clientMs(self) -> float:
        return self.clientCPU * 1000 / self.handshakes

    @property
    def ceiling(self) -> float:
        """
        The most handshakes/s the machine's cores allow at the CPU per
        handshake the server and the clients spent, with nothing else
        running.
        """
        return (os.cpu_count() or 1) * 1000 / (self.serverMs + self.clientMs)

    def shares(self) -> list[float]:
        """
        Each worker's share of the workers' CPU over the window, in percent.
        """
        total = sum(self.serverCPU[p] for p in self.workers) or 1.0
        return [100 * self.serverCPU[p] / total for p in self.workers]


def oneRun(pkiDir: str, row: Row, workers: int, seconds: int, clients: int) -> tuple[Result, str]:
    """
    Start a server, warm it up, measure, stop it.

    @return: the result, and what the probe handshake negotiated.
    """
    port = freePort()
    server, info = startServer(pkiDir, row, port, workers)
    try:
        runClients(row, port, WARMUP, clients)
        before = {pid: cpuSeconds(pid) for pid in server.pids}
        clientBefore, busyBefore, start = childrenCPU(), busyCPU(), time.perf_counter()
        rate, handshakes = runClients(row, port, seconds, clients)
        wall = time.perf_counter() - start
        clientCPU, busy = childrenCPU() - clientBefore, busyCPU() - busyBefore
        after = {pid: cpuSeconds(pid) for pid in server.pids}
    finally:
        server.stop()
    cpu = {pid: after[pid] - before[pid] for pid in server.pids}
    other = max(0.0, busy - sum(cpu.values()) - clientCPU) / wall
    return Result(rate, handshakes, cpu, clientCPU, other, server.workers), info


def measure(
    pkiDir: str,
    rows: list[Row],
    workers: int,
    seconds: int,
    clients: int,
    runs: int,
    log: Any = print,
) -> dict[str, dict[int, list[Result]]]:
    """
    Every row, one process and C{workers} workers, C{runs} times,
    interleaved.

    @return: the results by row key and number of processes (1 or
        C{workers}).
    """
    results: dict[str, dict[int, list[Result]]] = {r.key: {1: [], workers: []} for r in rows}
    for run in range(runs):
        for row in rows:
            for n in (1, workers):
                result, info = oneRun(pkiDir, row, n, seconds, clients)
                results[row.key][n].append(result)
                spread = (
                    "  workers' CPU " + " / ".join(f"{x:.0f}%" for x in result.shares())
                    if result.workers
                    else ""
                )
                log(
                    f"  run {run + 1} {row.key:11s} {configName(n):9s}"
                    f" {result.rate:6.0f} /s ({result.handshakes})"
                    f"  CPU ms/handshake: server {result.serverMs:.2f}"
                    f" clients {result.clientMs:.2f}"
                    f"  other load {result.otherCores:.2f} cores{spread}  [{info}]"
                )
    return results


def configName(n: int) -> str:
    return "1 process" if n == 1 else f"{n} workers"


def commands(pkiDir: str, row: Row, workers: int, seconds: int, clients: int) -> list[str]:
    """
    The command lines of one row, with C{PORT} and C{PKI} (the temporary
    test PKI directory) for what changes from run to run.
    """
    lines = [
        shlex.join(serverCommand(pkiDir, row, 0, 1)),
        shlex.join(serverCommand(pkiDir, row, 0, workers)),
        f"{clients} at once: " + shlex.join(clientCommand(row, 0, seconds)),
    ]
    return [
        line.replace(pkiDir, "PKI").replace("reneg:0:", "reneg:PORT:").replace(":0 ", ":PORT ")
        for line in lines
    ]


def ceiling(one: list[Result], many: list[Result]) -> tuple[list[float], float]:
    """
    The workers' L{Result.ceiling} per run, and the ratio of its median to
    the median rate of one process: the highest ratio the machine's cores
    allow over that figure with this client.
    """
    top = [r.ceiling for r in many]
    return top, statistics.median(top) / statistics.median(r.rate for r in one)


def otherLoad(results: list[Result]) -> float:
    """
    The median cores other processes took during the timed windows.
    """
    return statistics.median(r.otherCores for r in results)


def cell(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 runs of 3 s")
    parser.add_argument("--runs", type=int, help="runs per row and configuration (default 3)")
    parser.add_argument("--seconds", type=int, help="s_time -time per run (default 5)")
    parser.add_argument(
        "--clients",
        type=int,
        default=CLIENTS,
        help=f"s_time processes at once (default {CLIENTS})",
    )
    parser.add_argument("--workers", type=int, default=2, help="--workers N (default 2)")
    parser.add_argument(
        "--row",
        action="append",
        choices=["all", *ROWS],
        help="row to measure; repeat for several (default: all)",
    )
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 3)
    seconds = args.seconds or (3 if args.quick else 5)
    if not args.row or "all" in args.row:
        rows = list(ROWS.values())
    else:
        rows = [ROWS[k] for k in dict.fromkeys(args.row)]

    from twisted_reneg.testing.pki import makePKI

    name = configName(args.workers)
    with tempfile.TemporaryDirectory() as pkiDir:
        makePKI(pkiDir)
        print(
            f"workers: {args.clients} openssl s_time -new clients at once for {seconds} s,"
            f" {runs} runs per row and configuration, {os.cpu_count()} cores"
        )
        results = measure(pkiDir, rows, args.workers, seconds, args.clients, runs)
        print()
        title = "median handshakes/s (min-max)"
        width = max(len(title), *(len(r.label) for r in rows))
        print(
            f"{title:<{width}}  {'1 process':>17}  {name:>17}  {'ratio':>6}"
            f"  {'ceiling':>17}  {'ratio':>6}  other load"
        )
        for row in rows:
            one, many = results[row.key][1], results[row.key][args.workers]
            rate1, rateN = [r.rate for r in one], [r.rate for r in many]
            top, topRatio = ceiling(one, many)
            print(
                f"{row.label:<{width}}  {cell(rate1):>17}  {cell(rateN):>17}"
                f"  {statistics.median(rateN) / statistics.median(rate1):5.2f}x"
                f"  {cell(top):>17}  {topRatio:5.2f}x  {otherLoad(one + many):.2f} cores"
            )
        print()
        print(
            f"ceiling: {os.cpu_count()} cores / (server + clients' CPU per handshake) of the"
            f" {name} runs, the most any number of workers can make here with nothing else"
            " running; its ratio is to the 1-process median.  Other load: cores other"
            " processes took during the timed windows (median), lost to the figures."
        )
        for row in rows:
            shares = "; ".join(
                " / ".join(f"{x:.0f}%" for x in r.shares()) for r in results[row.key][args.workers]
            )
            print(f"{row.key}: each worker's share of the workers' CPU, per run: {shares}")
            for line in commands(pkiDir, row, args.workers, seconds, args.clients):
                print(f"    {line}")


if __name__ == "__main__":
    main()
