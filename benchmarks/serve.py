"""`make run` as a shop starts it: time to the first page served, and the memory of the web server and the task
worker once idle, beside Flask's development server (what `make run` served with before) in the same run.

    .venv/bin/python benchmarks/serve.py [--repeat 3] [--idle 10] [--work DIR]

Each run starts `make run` on an installed checkout (a virtualenv of its own in --work, as `make run` installs it:
crm and its dependencies, none of the test extras; up to date, so make only checks it) with
a shop of its own in --work (a SQLite database that is created and migrated before the first run), and
polls GET /login every 20 ms until it answers 200: that is the time to the first page, and it includes
`flask db upgrade` and the purge `make run` does first. The process tree is then left idle for --idle seconds
and measured: RSS summed over every process (gunicorn's master, its workers, the task worker, the flask and
make processes that wait for them) and PSS, which counts pages the forked workers share once. Then one SIGINT
to the process group (one Ctrl-C) stops it, and the time until every process is gone is recorded too.

The peer is the same shop served by `flask --app crm run` (the development server) alone.
Targets (docs/benchmarks.md): first page at most 5 s; web + worker at most 150 MB RSS together.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import list_page  # noqa: E402  (the machine line the benchmarks share)

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before measuring memory")
    parser.add_argument("--work", type=Path, default=Path("/tmp/crm-bench/serve"))
    parser.add_argument("--venv", type=Path, default=None,
                        help="the virtualenv make installs into (default: --work/venv, made on the first run)")
    return parser.parse_args(argv)


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shop_env(work: Path, port: int) -> dict[str, str]:
    """The environment a shop configures: its database, instance folder, secret key and port."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=f"sqlite:///{work / 'crm.sqlite'}", CRM_SECRET_KEY="benchmark",
               CRM_PORT=str(port), CRM_HOST="127.0.0.1", CI="",
               FLASK_RUN_PORT=str(port), FLASK_RUN_HOST="127.0.0.1")  # the peer, `flask run`, reads these
    return env


def prepare(work: Path, venv: Path) -> Path:
    """An installed checkout as `make run` leaves it (a virtualenv with crm and its dependencies only, no test
    extras) and a migrated shop without an owner yet (/login shows the set-up page), so that every timed
    start is a restart of an installed shop. Returns the virtualenv's flask."""
    work.mkdir(parents=True, exist_ok=True)
    env = shop_env(work, 0)
    subprocess.run(["make", "--no-print-directory", f"VENV={venv}", f"{venv}/.installed"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    flask = venv / "bin" / "flask"
    subprocess.run([str(flask), "--app", "crm", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return flask


def wait_for_page(port: int, process: subprocess.Popen, timeout: float = 60.0) -> float:
    """Seconds until GET /login answers 200 (polled every 20 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("no page within the timeout")


def tree(root: int) -> list[int]:
    """The process and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory_kb(pids: list[int]) -> tuple[int, int, list[str]]:
    """RSS and PSS summed over the processes, in kB, and each process's command and RSS."""
    rss = pss = 0
    each = []
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if line.split()[1].isdigit()}
        rss += fields.get("Rss", 0)
        pss += fields.get("Pss", 0)
        each.append(f"{fields.get('Rss', 0) / 1024:.0f} MB {command[:90]}")
    return rss, pss, each


def one_run(command: list[str], extra_env: dict[str, str], work: Path, idle: float) -> dict:
    """Start `command`, time the first page, measure memory after `idle` seconds, stop it with one SIGINT."""
    port = free_port()
    process = subprocess.Popen(command, cwd=ROOT, env={**shop_env(work, port), **extra_env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        first_page = wait_for_page(port, process)
        time.sleep(idle)
        rss, pss, each = memory_kb(tree(process.pid))
        stopping = time.perf_counter()
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        stopped = time.perf_counter() - stopping
        left = [pid for pid in tree(process.pid) if pid != process.pid]
        return {"first page": first_page, "rss": rss / 1024, "pss": pss / 1024, "stop": stopped,
                "left": len(left), "processes": each}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    venv = options.venv or options.work / "venv"
    flask = prepare(options.work, venv)
    make_run = ["make", "--no-print-directory", f"VENV={venv}", "run"]
    ways = {"make run (gunicorn sized for this machine + task worker)": (make_run, {}),
            "make run with CRM_WORKERS=1 (what a 1-CPU, 1 GB VPS gets)": (make_run, {"CRM_WORKERS": "1"}),
            "flask run (development server, peer)": ([str(flask), "--app", "crm", "run"], {})}
    results: dict[str, list[dict]] = {name: [] for name in ways}
    for _ in range(options.repeat):
        for name, (command, extra_env) in ways.items():  # interleaved, so all see the same load
            results[name].append(one_run(command, extra_env, options.work, options.idle))
    print(f"- Machine: {list_page.machine()}")
    print(f"- {options.repeat} runs each, memory after {options.idle:.0f} s idle; medians")
    print("\n| Started with | First page (s) | RSS together (MB) | PSS together (MB) | Stopped by one SIGINT (s) |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        median = {key: statistics.median(run[key] for run in runs) for key in ("first page", "rss", "pss", "stop")}
        left = max(run["left"] for run in runs)
        print(f"| {name} | {median['first page']:.2f} | {median['rss']:.0f} | {median['pss']:.0f} | "
              f"{median['stop']:.2f}{' (processes left!)' if left else ''} |")
    for name, runs in results.items():
        print(f"\n{name}, processes of the last run:")
        for line in runs[-1]["processes"]:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
