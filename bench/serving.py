"""How fast the app answers on loopback, beside bare baselines measured in the same run.

Run from the project root: ``.venv/bin/python bench/serving.py [--days 20 | --year] [--only pages|writes]``.

Pages: the resolver's redirect, the public batch page and the linkset, each over many
different batches from a demo database (``python -m trace seed --days N``, kept in
``var/bench/`` and reused), beside a bare FastAPI JSON endpoint and bare Starlette.
Writes: receipts posted through the API by 1 and by 8 clients, beside bare sqlite3
``INSERT`` + ``COMMIT`` by 1 and 8 connections. Every server is uvicorn on 127.0.0.1
with the same settings (one process, h11, no access log); request counts are bounded
and every server is stopped at the end. Figures, never assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # our `trace`, not the standard library's

from trace.guard import ensure_project_trace  # noqa: E402

ensure_project_trace()

from sqlalchemy import select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from canteens import receipt_checks  # noqa: E402
from canteens import service as canteen_service  # noqa: E402
from canteens.schemas import OrderCreate, OrderLineIn, ReceiptCheckCreate, ShipmentCreate  # noqa: E402
from seeds.loader import seed_reference  # noqa: E402
from suppliers import service as supplier_service  # noqa: E402
from suppliers.certificates import alternatives  # noqa: E402
from suppliers.models import Batch  # noqa: E402
from suppliers.schemas import BatchCreate, CertificateIn  # noqa: E402
from trace.accounts import token_create  # noqa: E402
from trace.clock import local_date  # noqa: E402
from trace.custody import Actor  # noqa: E402
from trace.db import make_engine, unit_of_work, utcnow  # noqa: E402
from trace.digital_link import build_digital_link  # noqa: E402
from trace.errors import DomainError  # noqa: E402

SCHOOL_YEAR_DAYS = 190
UVICORN = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log", "--workers", "1", "--http", "h11"]
WRITERS = 8


# --- serving and a loopback client -------------------------------------------------------------


@contextmanager
def served(app: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """uvicorn serving ``app`` on a free loopback port until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", app, *UVICORN, "--port", str(port)],
                               cwd=ROOT, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn {app} did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Figures:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, call: Call) -> int:
    head = f"{call.method} {call.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in call.headers)
    if call.body:
        head += f"Content-Length: {len(call.body)}\r\n"
    writer.write(head.encode("latin-1") + b"\r\n" + call.body)
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
        elif name.strip().lower() == "transfer-encoding":
            chunked = "chunked" in value
    if not chunked:
        await reader.readexactly(length)
        return status
    while size := int((await reader.readline()).strip(), 16):
        await reader.readexactly(size + 2)
    await reader.readline()
    return status


async def _client(port: int, calls: list[Call], figures: Figures) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for call in calls:
            began = time.perf_counter()
            figures.statuses[await _exchange(reader, writer, port, call)] += 1
            figures.latencies.append(time.perf_counter() - began)
    finally:
        writer.close()


def load(name: str, port: int, clients: list[list[Call]]) -> Figures:
    """Each client is one keep-alive connection sending its calls one after another."""
    figures = Figures(name)

    async def run() -> None:
        await asyncio.gather(*(_client(port, calls, figures) for calls in clients))

    began = time.perf_counter()
    asyncio.run(run())
    figures.seconds = time.perf_counter() - began
    return figures


def spread(calls: list[Call], connections: int) -> list[list[Call]]:
    return [calls[n::connections] for n in range(connections)]


def show(figures: Figures, baseline: Figures | None = None, expected: int = 200) -> None:
    ratio = f"  {figures.rate / baseline.rate:6.3f}x of {baseline.name}" if baseline else ""
    odd = {s: n for s, n in figures.statuses.items() if s != expected}
    print(f"  {figures.name:<34} {figures.rate:8,.0f} req/s   p50 {figures.percentile(0.5):7.2f} ms"
          f"   p99 {figures.percentile(0.99):8.2f} ms{ratio}" + (f"   unexpected statuses {odd}" if odd else ""),
          flush=True)


# --- the demo database -----------------------------------------------------------------------------


def demo_database(days: int) -> Path:
    """A seeded demo database, made once per number of days and reused (copy it before writing)."""
    path = ROOT / "var" / "bench" / f"demo-{days}.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.db")
        for stale in path.parent.glob(partial.name + "*"):
            stale.unlink()
        print(f"seeding the demo, {days} school days (once; kept in {path.parent}) …", flush=True)
        subprocess.run([sys.executable, "-m", "trace", "seed", "--days", str(days)], cwd=ROOT, check=True,
                       env={**os.environ, "DATABASE_URL": f"sqlite:///{partial}"}, stdout=subprocess.DEVNULL)
        checkpoint(partial)
        partial.rename(path)
    return path


def checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def app_env(database: Path, folder: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{database}", "TRACE_SCHEDULER": "false", "TRACE_DATA_DIR": str(folder)}


# --- pages -----------------------------------------------------------------------------------------


def bench_pages(database: Path, requests: int, connections: int) -> None:
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        batches = session.execute(select(Batch.id, Batch.gtin, Batch.lot_code)).all()
    engine.dispose()
    random.Random(2025).shuffle(batches)
    print(f"pages: {requests:,} requests per figure over {connections} connections, "
          f"{min(len(batches), requests):,} different batches of {len(batches):,}", flush=True)

    def links(accept: str) -> list[Call]:
        return [Call("GET", build_digital_link("http://x", gtin, lot).removeprefix("http://x"), (("Accept", accept),))
                for _, gtin, lot in batches[:requests]]

    html = "text/html,application/xhtml+xml"
    pages = [Call("GET", f"/public/batches/{batch_id}?lang={'zh-CN' if n % 2 else 'en'}", (("Accept", html),))
             for n, (batch_id, _, _) in enumerate(batches[:requests])]
    bare = Call("GET", "/", (("Accept", "application/json"),))
    warm = max(connections * 4, 200)

    def measured(name: str, port: int, calls: list[Call]) -> Figures:
        load("warm-up", port, spread(calls[:warm], connections))
        return load(name, port, spread(calls, connections))

    with served("bench.bare:fastapi_app") as port:
        fastapi = measured("bare FastAPI JSON", port, [bare] * requests)
    with served("bench.bare:starlette_app") as port:
        starlette = measured("bare Starlette JSON", port, [bare] * requests)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as folder, \
            served("trace.app:app", app_env(database, Path(folder))) as port:
        resolver = measured("resolver redirect (307)", port, (links(html) * 2)[:requests])
        page = measured("public batch page (zh-CN, en)", port, (pages * 2)[:requests])
        linkset = measured("linkset (application/linkset+json)", port,
                           (links("application/linkset+json") * 2)[:requests])
    show(fastapi)
    show(starlette, fastapi)
    show(resolver, fastapi, expected=307)
    show(page, fastapi)
    show(linkset, fastapi)
    print(f"  aim: batch page >= 0.5x of bare FastAPI ({page.rate / fastapi.rate:.3f}x) "
          f"with p99 < 50 ms ({page.percentile(0.99):.1f} ms)", flush=True)


# --- writes ----------------------------------------------------------------------------------------


@dataclass
class Door:
    """Receipt checks at a school's door, each opened by one of its staff (one 1-unit shipment each),
    and a token of the other staff member, who confirms them: each confirmation writes a receipt."""

    check_ids: list[int]
    token: str


def prepare_doors(database: Path, counts: list[int]) -> list[Door]:
    """One school per entry of ``counts`` (an ambient product, shipped today), with that many open checks."""
    engine = make_engine(f"sqlite:///{database}")
    today = local_date(utcnow())
    doors: list[Door] = []
    with unit_of_work(engine) as session:
        reference = seed_reference(session)
        admin = Actor.of(reference.admin)
        ambient = [product for seed, product in reference.products.values() if seed.storage == "ambient"]
        for school, per_door in zip(reference.schools, counts, strict=False):
            for supplier in reference.suppliers:
                product = next((p for p in ambient if p.category.value in supplier.seed.categories), None)
                if product is None:
                    continue
                try:
                    with session.begin_nested():
                        doors.append(_open_checks(session, admin, Actor.of(supplier.user), supplier.supplier.id,
                                                  school, product, today, per_door))
                    break
                except DomainError:
                    continue
        session.flush()
    engine.dispose()
    if len(doors) < len(counts):
        raise RuntimeError(f"only {len(doors)} of {len(counts)} doors could be prepared")
    return doors


# A negative reading of each rapid test, for the products that call for one.
NEGATIVE = {"pesticide_enzyme_inhibition": Decimal("12"), "clenbuterol": Decimal("1.6")}


def _open_checks(session: Session, admin: Actor, supplier: Actor, supplier_id: int, school, product,
                 today, per_door: int) -> Door:
    amount = Decimal(per_door)
    order = canteen_service.order_create(session, actor=admin, data=OrderCreate(
        order_number=f"BENCH-{school.school.code}-{time.time_ns()}", school_id=school.school.id,
        supplier_id=supplier_id, delivery_date=today,
        lines=[OrderLineIn(line_number=1, product_id=product.id, quantity=amount, unit=product.unit,
                           unit_price_fen=100)]))
    batch = supplier_service.batch_register(session, actor=supplier, data=BatchCreate(
        product_id=product.id, lot_code=f"BENCH{time.time_ns() % 10**12}", production_date=today,
        quantity=amount, unit=product.unit, origin="山东省济南市章丘区",
        certificates=[CertificateIn(kind=alternatives(paper)[0], number=f"BENCH-{n}", issued_by="示例检验机构",
                                    issued_on=today)
                      for n, paper in enumerate(supplier_service.product_required_papers(product))]))
    line_id = canteen_service.order_current_revision(session, order.id)[1][0].id
    papers = [c.kind for c in supplier_service.certificates_of(session, batch.id)]
    first = Actor.of(school.staff[0])
    check_ids = []
    for _ in range(per_door):
        shipment = canteen_service.shipment_create(session, actor=supplier, data=ShipmentCreate(
            batch_id=batch.id, order_line_id=line_id, quantity=Decimal(1), unit=product.unit, ship_date=today))
        check_ids.append(receipt_checks.check_open(session, actor=first, data=ReceiptCheckCreate(
            shipment_id=shipment.id, accepted_quantity=Decimal(1), rejected_quantity=Decimal(0), unit=product.unit,
            certificates_checked=papers, rapid_test_value=NEGATIVE.get(product.rapid_test),
            receipt_date=today)).id)
    return Door(check_ids, token_create(session, user=school.staff[1], name="bench"))


def receipts(door: Door, count: int) -> list[Call]:
    """The next ``count`` confirmations at the door, by its second checker."""
    headers = (("Authorization", f"Bearer {door.token}"), ("Content-Type", "application/json"))
    taken, door.check_ids[:] = door.check_ids[:count], door.check_ids[count:]
    return [Call("POST", f"/api/v1/receipt-checks/{check_id}/confirm", headers) for check_id in taken]


def bare_inserts(folder: Path, writers: int, per_writer: int) -> Figures:
    """sqlite3 alone: each writer its own connection, one INSERT and COMMIT per row, WAL as the app uses it."""
    path = folder / "bare.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS receipt (id INTEGER PRIMARY KEY, shipment_id INT, quantity INT, "
                  "body TEXT)")
    setup.close()
    figures = Figures(f"bare sqlite3 INSERT+COMMIT, {writers} conn")
    lock = threading.Lock()

    def write(n: int) -> None:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        connection.execute("PRAGMA synchronous=NORMAL")
        mine = []
        for _ in range(per_writer):
            began = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO receipt (shipment_id, quantity, body) VALUES (?, ?, ?)",
                               (n, 1000, '{"accepted_quantity":"1.000","unit":"kg"}'))
            connection.execute("COMMIT")
            mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            figures.latencies.extend(mine)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.perf_counter() - began
    figures.statuses[200] = len(figures.latencies)
    return figures


def bench_writes(database: Path, requests: int) -> None:
    per_writer = max(requests // WRITERS, 1)
    print(f"writes: receipts through POST /api/v1/receipt-checks/{{id}}/confirm (the second checker's, which "
          f"writes the receipt), {requests:,} by 1 client, "
          f"{per_writer * WRITERS:,} by {WRITERS} clients (each its own school's shipment)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as folder:
        copy = Path(folder) / "trace.db"
        shutil.copyfile(database, copy)
        doors = prepare_doors(copy, [20 + requests + per_writer] + [per_writer] * (WRITERS - 1))
        with served("trace.app:app", app_env(copy, Path(folder))) as port:
            load("warm-up", port, [receipts(doors[0], 20)])
            one = load("receipts, 1 client", port, [receipts(doors[0], requests)])
            eight = load(f"receipts, {WRITERS} clients", port, [receipts(door, per_writer) for door in doors])
        bare_one = bare_inserts(Path(folder), 1, requests)
        bare_eight = bare_inserts(Path(folder), WRITERS, per_writer)
    show(bare_one)
    show(bare_eight)
    show(one, bare_one, expected=201)
    show(eight, bare_eight, expected=201)
    print(f"  aim: {WRITERS} writers p99 < 100 ms ({eight.percentile(0.99):.1f} ms)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20, help="school days in the demo database (default 20)")
    parser.add_argument("--year", action="store_true", help=f"a school year of demo data ({SCHOOL_YEAR_DAYS} days)")
    parser.add_argument("--only", choices=("pages", "writes"), help="run one half")
    parser.add_argument("--requests", type=int, default=3000, help="requests per page figure (default 3000)")
    parser.add_argument("--connections", type=int, default=32, help="connections for the pages (default 32)")
    parser.add_argument("--writes", type=int, default=400, help="receipts per write figure (default 400)")
    args = parser.parse_args()
    days = SCHOOL_YEAR_DAYS if args.year else args.days
    database = demo_database(days)
    print(f"demo database: {days} school days ({database.stat().st_size / 2**20:.0f} MiB); "
          f"uvicorn {' '.join(UVICORN)}", flush=True)
    if args.only in (None, "pages"):
        bench_pages(database, args.requests, args.connections)
    if args.only in (None, "writes"):
        bench_writes(database, args.writes)


if __name__ == "__main__":
    main()
