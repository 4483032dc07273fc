"""How fast the demo loads: school days per second through the full service rules.

Run from the project root: ``.venv/bin/python bench/seed_year.py [--days 10]``.

Prints seconds per school day, custody events per second, the projected time for a
school year (190 days), and, as a baseline measured in the same run, how fast plain
sqlite3 appends the same number of event rows with no rules at all — the floor the
services are compared against (the ratio says how much the rules and the ORM cost).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # our `trace`, not the standard library's

from trace.guard import ensure_project_trace  # noqa: E402

ensure_project_trace()

from seeds.loader import seed_demo  # noqa: E402
from trace import migrate  # noqa: E402
from trace.db import make_engine  # noqa: E402

SCHOOL_YEAR_DAYS = 190


def baseline_seconds(events: int, directory: Path) -> float:
    """Append ``events`` rows of the custody-event shape with sqlite3 alone, one commit per 1,500."""
    connection = sqlite3.connect(directory / "baseline.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE, stream TEXT, seq INT, "
                       "payload TEXT, prev_hash TEXT, hash TEXT, UNIQUE (stream, seq))")
    payload = '{"quantity":"12.500","unit":"kg","meal":"lunch","dish":"西红柿炒鸡蛋"}'
    began = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    for n in range(events):
        connection.execute("INSERT INTO event (event_id, stream, seq, payload, prev_hash, hash) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (f"e{n}", f"batch:{n % 700}", n // 700, payload, "0" * 64,
                                                         f"{n:064x}"))
        if n % 1500 == 1499:
            connection.execute("COMMIT")
            connection.execute("BEGIN IMMEDIATE")
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=10, help="school days to generate (default 10)")
    parser.add_argument("--start", default="2025-09-01", help="first school day (a fixed past date)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-seed-") as folder:
        url = f"sqlite:///{Path(folder) / 'trace.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        summary = seed_demo(engine, days=args.days, start=date.fromisoformat(args.start))
        engine.dispose()
        floor = baseline_seconds(summary.events, Path(folder))

    per_day = summary.elapsed_seconds / summary.days
    print(f"demo load, {summary.days} school days from {summary.start}: {summary.elapsed_seconds:.1f} s "
          f"({per_day:.2f} s per day, {summary.events / summary.elapsed_seconds:,.0f} custody events/s)")
    print(f"  projected school year ({SCHOOL_YEAR_DAYS} days): {per_day * SCHOOL_YEAR_DAYS / 60:.1f} min")
    print(f"baseline, sqlite3 appending {summary.events:,} bare event rows: {floor:.2f} s "
          f"({summary.events / floor:,.0f} rows/s)")
    print(f"ratio demo/baseline: {summary.elapsed_seconds / floor:.0f}x")


if __name__ == "__main__":
    main()
