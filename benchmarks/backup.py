"""Time `flask --app crm backup` on the 100,000-customer demo shop in SQLite, beside a plain file copy.

    .venv/bin/python benchmarks/backup.py [--customers 100000] [--db PATH] [--rebuild] [--repeat 3]

The shop is the one benchmarks/list_page.py builds (/tmp/crm-bench/list.sqlite); when it exists with the
asked-for number of customers it is only read (opened read-only, never migrated), else it is built there
first, which takes minutes. Each run writes into a scratch folder beside it that is emptied afterwards.

Per run: the backup as the command makes it (the online backup API, integrity_check, fsync and rename;
crm.services.backups.make), its two halves timed apart, `VACUUM INTO` for comparison, and the floor: a plain
copy of the database file (and its -wal, if any) with shutil.copyfile. Medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import list_page  # noqa: E402  (the shared demo shop: its builder and machine line)

from crm import create_app  # noqa: E402
from crm.services import backups  # noqa: E402
from crm.services.backups import sqlite as sqlite_backups  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--db", type=Path, default=Path("/tmp/crm-bench/list.sqlite"))
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if it exists")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each way of copying")
    return parser.parse_args(argv)


def customers_in(path: Path) -> int | None:
    """How many customers the file holds, read without writing it (None when it isn't a built shop)."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    except sqlite3.Error:
        return None


def timed(work) -> float:
    """Seconds `work()` takes."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def floor_copy(source: Path, scratch: Path) -> None:
    """The least any copy costs: the bytes of the file (and its WAL) copied as they are."""
    for suffix in ("", "-wal"):
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copyfile(part, scratch / f"floor.sqlite{suffix}")


def vacuum_into(source: Path, scratch: Path) -> None:
    """The other consistent copy SQLite offers: a rebuilt, defragmented file."""
    with closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as conn:
        conn.execute("VACUUM INTO ?", (str(scratch / "vacuum.sqlite"),))


def one_run(app, url: str, source: Path, scratch: Path) -> dict[str, float]:
    """Seconds of each way of copying, once, and the backup's size; the scratch folder is emptied after."""
    result: dict[str, float] = {}
    result["floor"] = timed(lambda: floor_copy(source, scratch))
    made = {}
    with app.app_context():
        result["backup"] = timed(lambda: made.update(backup=backups.make(url, scratch, keep_newest=100)[0]))
    result["size"] = made["backup"].size
    part = scratch / "halves.sqlite"
    result["copy"] = timed(lambda: sqlite_backups.copy(url, part))
    result["check"] = timed(lambda: sqlite_backups.check(part))
    result["vacuum"] = timed(lambda: vacuum_into(source, scratch))
    result["vacuum_size"] = (scratch / "vacuum.sqlite").stat().st_size
    for leftover in scratch.iterdir():
        leftover.unlink()
    return result


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the shop, time the copies, print the report."""
    options = parse_args(argv)
    path = options.db.resolve()
    if options.rebuild or customers_in(path) != options.customers:
        print(f"building {path} ...", file=sys.stderr)
        list_page.build(path, options.customers, options.orders_per_customer)
    url = f"sqlite:///{path}"
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "DATABASE_URL": url})  # never queried here
    scratch = path.parent / "backup-bench"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    runs = []
    for run in range(options.repeat):
        runs.append(one_run(app, url, path, scratch))
        print(f"run {run + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[-1].items() if "size" not in k),
              file=sys.stderr)
    scratch.rmdir()
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    report(options, argv, path, median, runs)
    return 0


def report(options, argv, path: Path, median: dict, runs: list[dict]) -> None:
    """The Markdown report."""
    given = sys.argv[1:] if argv is None else argv
    command = " ".join([".venv/bin/python benchmarks/backup.py", *given])
    database_mb = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()) / 1e6
    print(f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: `{command}`")
    print()
    print(f"- Machine: {list_page.machine()}")
    print(f"- Data: {customers_in(path):,} customers; database {database_mb:,.0f} MB; "
          f"median of {options.repeat} runs (every run listed on standard error)")
    print()
    print("| Copy | Seconds | File MB |")
    print("|---|---:|---:|")
    print(f"| Floor: plain file copy (shutil.copyfile) | {median['floor']:.2f} | {database_mb:,.0f} |")
    print(f"| `flask backup` (backups.make: copy, check, fsync, rename) | {median['backup']:.2f} | "
          f"{median['size'] / 1e6:,.0f} |")
    print(f"| … its online-backup copy alone | {median['copy']:.2f} | |")
    print(f"| … its integrity_check alone | {median['check']:.2f} | |")
    print(f"| For comparison: VACUUM INTO | {median['vacuum']:.2f} | {median['vacuum_size'] / 1e6:,.0f} |")
    print()
    print(f"`flask backup` takes {median['backup'] / median['floor']:.1f}× the plain copy.")


if __name__ == "__main__":
    sys.exit(main())
