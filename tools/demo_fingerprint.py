"""A fingerprint of a demo's custody log, for checking that a refactoring changed nothing.

Run from the project root: ``.venv/bin/python tools/demo_fingerprint.py --days 20 OUT.tsv``.

Loads the demo with a fixed seed and start into a fresh SQLite file, with the custody
core's two sources of chance made repeatable — event ids come from a seeded generator
instead of ``uuid4`` and ``recorded_at`` from a clock that ticks one millisecond per event —
so two loads by the same rules write byte-identical ``custody_event`` rows, hashes
included. Writes every row (all columns, in id order) to OUT and prints the row count and
a SHA-256 of the file; run it on two checkouts and compare the digests (or ``diff`` the files).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # our `trace`, not the standard library's

from trace.guard import ensure_project_trace  # noqa: E402

ensure_project_trace()

import trace.custody as custody  # noqa: E402
from seeds.loader import seed_demo  # noqa: E402
from trace import migrate  # noqa: E402
from trace.db import make_engine  # noqa: E402


def repeatable_custody(seed: int) -> None:
    """Event ids and recording times that depend only on the order events are written in."""
    ids = random.Random(f"{seed}:event-ids")
    ticks = iter(range(10**9))
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    uuid.uuid4 = lambda: uuid.UUID(int=ids.getrandbits(128), version=4)  # type: ignore[assignment]
    custody.utcnow = lambda: epoch + timedelta(milliseconds=next(ticks))  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the custody_event rows (TSV)")
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--start", default="2025-09-01")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    repeatable_custody(args.seed)
    with tempfile.TemporaryDirectory(prefix="demo-fingerprint-") as folder:
        path = Path(folder) / "trace.db"
        migrate.upgrade(f"sqlite:///{path}")
        engine = make_engine(f"sqlite:///{path}")
        summary = seed_demo(engine, days=args.days, start=date.fromisoformat(args.start), seed=args.seed)
        engine.dispose()
        connection = sqlite3.connect(path)
        cursor = connection.execute("SELECT * FROM custody_event ORDER BY id")
        columns = [d[0] for d in cursor.description]
        with args.out.open("w", encoding="utf-8") as out:
            out.write("\t".join(columns) + "\n")
            rows = 0
            for row in cursor:
                out.write("\t".join("" if v is None else str(v) for v in row) + "\n")
                rows += 1
        connection.close()
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{rows} custody events over {summary.days} school days in {summary.elapsed_seconds:.1f} s; sha256 {digest}")


if __name__ == "__main__":
    main()
