"""The admin CLI: database, demo data, accounts and tokens, chain verification,
checkpoints and exports. ``python -m trace --help`` lists the commands."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from suppliers.models import Batch
from trace import accounts, checkpoints, credentials, migrate, passwords, registry
from trace.db import make_engine, unit_of_work
from trace.errors import DomainError
from trace.models import CustodyEvent, Role, User
from trace.settings import get_settings

app = typer.Typer(help="章丘区校园食堂大宗食材追溯平台 — admin CLI", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic)")
user_app = typer.Typer(help="Accounts")
token_app = typer.Typer(help="API tokens")
export_app = typer.Typer(help="Exports")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(export_app, name="export")
console = Console()


def _engine():
    return make_engine(get_settings().database_url)


def _has_batches() -> bool:
    with unit_of_work(_engine()) as session:
        return session.execute(select(func.count()).select_from(Batch)).scalar_one() > 0


def _fail(message: str) -> NoReturn:
    console.print(f"[red]{escape(message)}[/red]", highlight=False)
    raise typer.Exit(1)


def _date_option(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{name} 须为 YYYY-MM-DD 格式的日期 / {name} must be a date as YYYY-MM-DD: {value!r}")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(get_settings().database_url, revision)
    console.print(f"database at {revision}: {get_settings().database_url}")


@db_app.command("reset")
def db_reset(yes: Annotated[bool, typer.Option("--yes", help="Really drop every table")] = False) -> None:
    """Drop every table and migrate again (demo and development only)."""
    if not yes:
        _fail("refusing to drop data without --yes / 未加 --yes，不删除数据")
    engine = _engine()
    registry.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    migrate.upgrade(get_settings().database_url)
    console.print("database reset")


@app.command()
def seed(
    days: Annotated[int, typer.Option(help="School days of activity to generate (190 = one school year)")] = 20,
    start: Annotated[Optional[str], typer.Option(help="First school day, YYYY-MM-DD")] = None,
    random_seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data")] = 2025,
    reset: Annotated[bool, typer.Option(help="Drop all data first")] = False,
) -> None:
    """Load the demo data: 32 schools, 12 suppliers, 60 products and N school days of activity."""
    from seeds.loader import SeedError, seed_demo

    if reset:
        db_reset(yes=True)
    else:
        migrate.upgrade(get_settings().database_url)
    engine = _engine()
    with Progress(TextColumn("[bold]生成示例数据 seeding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("days", total=days)
        try:
            summary = seed_demo(engine, days=days, start=_date_option(start, "--start"), seed=random_seed,
                                progress=lambda done, total: progress.update(task, completed=done, total=total))
        except SeedError as refused:
            progress.stop()
            _fail(str(refused))
    span = f"{summary.start} – {summary.end}" if summary.start else "no school days"
    console.print(f"seeded {summary.days} school days ({span}) in {summary.elapsed_seconds:.0f} s: "
                  f"{summary.orders} orders, {summary.batches} batches, {summary.shipments} shipments, "
                  f"{summary.receipts} receipts, {summary.uses} uses, {summary.tests} tests, "
                  f"{summary.events} custody events")
    if summary.morning:
        console.print(summary.morning)


@user_app.command("create")
def user_create(
    username: str,
    role: Role,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    supplier_id: Optional[int] = None,
    school_id: Optional[int] = None,
    password: Annotated[bool, typer.Option(
        "--password", help="Ask for a password (hidden, typed twice) so the person can sign in on the web")] = False,
    one_time: Annotated[bool, typer.Option(
        "--one-time", help="Print a one-time password, to be changed at first sign-in")] = False,
) -> None:
    """Create an account (suppliers need --supplier-id, canteen staff --school-id)."""
    if password and one_time:
        _fail("choose --password or --one-time, not both / --password 与 --one-time 只能选一个")
    chosen = typer.prompt("Password 密码", hide_input=True, confirmation_prompt=True) if password else None
    if chosen is not None and (problems := passwords.password_problems(chosen, username)):
        _fail(" ".join(f"{p.zh} / {p.en}" for p in problems))
    engine = _engine()
    plain = passwords.one_time_password() if one_time else chosen
    with unit_of_work(engine) as session:
        user = accounts.user_create(session, actor=accounts.system_actor(), username=username,
                                    display_name=name or username, role=role, supplier_id=supplier_id,
                                    school_id=school_id)
        if plain is not None:
            credentials.password_set(session, actor=accounts.system_actor(), user=user, password=plain,
                                     must_change=one_time)
        console.print(f"created user {user.id} {user.username} ({user.role.value})")
    if one_time:
        _print_one_time(username, plain)


def _print_one_time(username: str, plain: str | None) -> None:
    console.print("one-time password, shown only now (must be changed at first sign-in) / "
                  "一次性密码，仅显示这一次（首次登录时须修改）:")
    typer.echo(f"{username} {plain}")


@user_app.command("reset-password")
def user_reset_password(username: str) -> None:
    """Issue USERNAME a new one-time password (printed once) and end their web sessions."""
    engine = _engine()
    with unit_of_work(engine) as session:
        user = accounts.user_by_username(session, username)
        plain = credentials.password_reset(session, actor=accounts.system_actor(), user=user)
    _print_one_time(username, plain)


@user_app.command("list")
def user_list() -> None:
    """List accounts."""
    engine = _engine()
    with unit_of_work(engine) as session:
        table = Table("id", "username", "name", "role", "supplier", "school")
        for user in session.execute(select(User).order_by(User.id)).scalars():
            table.add_row(str(user.id), user.username, user.display_name, user.role.value,
                          str(user.supplier_id or ""), str(user.school_id or ""))
        console.print(table)


@token_app.command("create")
def token_create(username: str, name: Annotated[str, typer.Option(help="What the token is for")] = "cli") -> None:
    """Issue an API token for USERNAME and print it (shown only once)."""
    engine = _engine()
    with unit_of_work(engine) as session:
        user = accounts.user_by_username(session, username)
        token = accounts.token_create(session, user=user, name=name)
    typer.echo(token)


@app.command()
def verify(
    checkpoint: Annotated[Optional[Path], typer.Option(help="A checkpoint JSON kept outside the platform")] = None,
) -> None:
    """Recompute every hash chain; name the first edited, deleted, reordered or cut-off event."""
    engine = _engine()
    held = json.loads(checkpoint.read_text()) if checkpoint else None
    with unit_of_work(engine) as session:
        report = checkpoints.verify_log(session, held_checkpoint=held)
    console.print(f"chains {report.chains_checked}, events {report.events_checked}, "
                  f"checkpoints {report.checkpoints_checked}")
    if report.ok:
        console.print("[green]OK: every chain verifies / 所有链校验通过[/green]")
        return
    for problem in report.problems:
        console.print(f"[red]{problem.kind}[/red] {escape(problem.stream)} seq {problem.seq} "
                      f"(row {problem.event_row_id}): {escape(problem.detail)}", highlight=False, soft_wrap=True)
        if problem.recorded and problem.found:
            console.print(f"    recorded 记录: seq {problem.recorded.seq} {problem.recorded.hash}\n"
                          f"    now 现有:      seq {problem.found.seq} {problem.found.hash}", highlight=False,
                          soft_wrap=True)
    raise typer.Exit(2)


@app.command("checkpoint")
def checkpoint_cmd(out: Annotated[Optional[Path], typer.Option(help="Also write the signed document here")] = None) -> None:
    """Sign the current head of every chain."""
    engine = _engine()
    key = checkpoints.load_or_create_signing_key()
    with unit_of_work(engine) as session:
        document = checkpoints.checkpoint_document(checkpoints.checkpoint_create(session, key=key),
                                                   checkpoints.public_key_pem(key))
    if out:
        out.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    console.print(f"checkpoint {document['body']['number']} over {document['body']['stream_count']} chains")


@export_app.command("events")
def export_events(out: Path, stream: Optional[str] = None) -> None:
    """Write custody events as JSON Lines (one event per line, with hashes)."""
    from trace.schemas import EventPublic

    engine = _engine()
    with unit_of_work(engine) as session, out.open("w", encoding="utf-8") as handle:
        statement = select(CustodyEvent).order_by(CustodyEvent.id)
        if stream:
            statement = statement.where(CustodyEvent.stream == stream)
        total = session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
        with Progress(console=console) as progress:
            task = progress.add_task("events", total=total)
            for event in session.execute(statement.execution_options(yield_per=2000)).scalars():
                handle.write(EventPublic.model_validate(event).model_dump_json() + "\n")
                progress.advance(task)
    console.print(f"wrote {total} events to {out}")


ExportLot = Annotated[Optional[str], typer.Option("--lot", help="A lot code: every batch printed with it")]
ExportGtin = Annotated[Optional[str], typer.Option("--gtin", help="With --lot: only this product's lot")]
ExportBatch = Annotated[Optional[int], typer.Option("--batch-id", help="One batch")]
ExportFrom = Annotated[Optional[str], typer.Option("--from", help="First local day, YYYY-MM-DD")]
ExportTo = Annotated[Optional[str], typer.Option("--to", help="Last local day, YYYY-MM-DD")]


def _export_file(out: Path, write, *, lot: str | None, gtin: str | None, batch_id: int | None,
                 date_from: str | None, date_to: str | None, what: str) -> None:
    """Scope, write with a progress bar, then print the file's SHA-256 (as ``sha256sum`` prints it)."""
    from exports.files import finish
    from exports.scope import export_scope
    from trace.custody import Actor

    # The operator runs the CLI with the database's own access: it exports what an admin sees.
    operator = Actor(None, Role.admin.value, name="cli")
    engine = _engine()
    # Written beside OUT and moved into place once complete: an interrupted export leaves no half file.
    partial = out.with_name(out.name + ".part")
    try:
        with unit_of_work(engine) as session:
            scope = export_scope(session, operator, batch_id=batch_id, lot=lot, gtin=gtin,
                                 date_from=_date_option(date_from, "--from"), date_to=_date_option(date_to, "--to"))
            with partial.open("w+b") as handle:
                with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=console) as progress:
                    task = progress.add_task(f"{what} 导出 / export", total=None)
                    count = write(session, scope, handle,
                                  lambda done, total: progress.update(task, completed=done, total=total))
                export = finish(handle, media_type="", filename=out.name)
        partial.replace(out)
    except DomainError as error:
        _fail(f"{error.zh} / {error.en}")
    finally:
        partial.unlink(missing_ok=True)
    console.print(f"{count} rows/events → {escape(str(out))} ({export.size} bytes)", highlight=False)
    typer.echo(f"{export.sha256}  {out}")


@export_app.command("epcis")
def export_epcis(out: Path, lot: ExportLot = None, gtin: ExportGtin = None, batch_id: ExportBatch = None,
                 date_from: ExportFrom = None, date_to: ExportTo = None) -> None:
    """An EPCIS 2.0 JSON-LD document of a lot's, a batch's or a date range's custody events; prints its SHA-256."""
    from exports.epcis import write_epcis_document

    base = get_settings().resolver_base_url
    _export_file(out, lambda session, scope, handle, progress: write_epcis_document(
        session, scope, handle, base_url=base, progress=progress),
        lot=lot, gtin=gtin, batch_id=batch_id, date_from=date_from, date_to=date_to, what="EPCIS")


@export_app.command("kde")
def export_kde(out: Annotated[Path, typer.Argument(help="OUT.xlsx or OUT.csv")], lot: ExportLot = None,
               gtin: ExportGtin = None, batch_id: ExportBatch = None, date_from: ExportFrom = None,
               date_to: ExportTo = None,
               lang: Annotated[str, typer.Option(help="Header language: zh-CN or en")] = "zh-CN") -> None:
    """The key data elements (one row per shipping, receiving, use, meal) as XLSX or CSV; prints its SHA-256."""
    from exports.kde import write_kde_csv, write_kde_xlsx

    if out.suffix.lower() not in (".xlsx", ".csv"):
        _fail(f"输出文件须以 .xlsx 或 .csv 结尾 / OUT must end in .xlsx or .csv: {out}")
    if lang not in ("zh-CN", "en"):
        _fail(f"--lang 须为 zh-CN 或 en / --lang must be zh-CN or en: {lang!r}")
    writer = write_kde_xlsx if out.suffix.lower() == ".xlsx" else write_kde_csv
    base = get_settings().resolver_base_url
    _export_file(out, lambda session, scope, handle, progress: writer(
        session, scope, handle, base_url=base, lang=lang, progress=progress),
        lot=lot, gtin=gtin, batch_id=batch_id, date_from=date_from, date_to=date_to, what="KDE")


@app.command()
def labels(
    out: Annotated[Path, typer.Option(help="Folder to write the labels into")],
    shipment: Annotated[Optional[int], typer.Option(help="Labels for this shipment's batch")] = None,
    first: Annotated[Optional[str], typer.Option("--from", help="Batches produced from this date, YYYY-MM-DD")] = None,
    last: Annotated[Optional[str], typer.Option("--to", help="…up to this date (default: same as --from)")] = None,
    supplier_id: Annotated[Optional[int], typer.Option(help="Only this supplier's batches")] = None,
    size: Annotated[str, typer.Option(help="40x30 or 60x40 (mm)")] = "40x30",
    dpi: Annotated[int, typer.Option(help="203 or 300")] = 203,
    sheet: Annotated[bool, typer.Option(help="Also write an A4 PDF sheet of them all")] = True,
) -> None:
    """Write QR label PNGs (and an A4 sheet) for a shipment or for batches produced in a date range."""
    from canteens.deliveries import shipment_get
    from suppliers import labels as batch_labels
    from suppliers.service import batch_get
    from trace.labels import render_label_png, render_label_sheet_pdf

    if (shipment is None) == (first is None):
        _fail("give either --shipment or --from [--to] / 请指定 --shipment 或 --from [--to]")
    out.mkdir(parents=True, exist_ok=True)
    font = batch_labels.label_font()
    with unit_of_work(_engine()) as session:
        if shipment is not None:
            record = shipment_get(session, shipment)
            contents = [batch_labels.label_for_batch(session, batch_get(session, record.batch_id),
                                                     quantity=record.quantity)]
        else:
            start = _date_option(first, "--from")
            batches = batch_labels.batches_produced_between(session, start, _date_option(last, "--to") or start,
                                                            supplier_id=supplier_id)
            contents = [batch_labels.label_for_batch(session, batch) for batch in batches]
    if not contents:
        _fail("no batches match / 没有符合条件的批次")
    with Progress(TextColumn("[bold]打印标签 labels"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("labels", total=len(contents))
        for content in contents:
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in content.lot)
            (out / f"{name}-{size}-{dpi}dpi.png").write_bytes(
                render_label_png(content, size=size, dpi=dpi, font_path=font))
            progress.advance(task)
    if sheet:
        (out / "labels.pdf").write_bytes(render_label_sheet_pdf(contents, font_path=font,
                                                                 size="60x40" if size == "60x40" else "40x30"))
    console.print(f"wrote {len(contents)} labels to {out}")


WILDCARD_HOSTS = ("0.0.0.0", "::", "")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    demo_days: Annotated[int, typer.Option(help="Seed this many school days if the database is empty (0: none)")] = 20,
) -> None:
    """Migrate, load demo data into an empty database, and serve the app."""
    import uvicorn

    # Labels and the resolver's links name the server; unless configured, that is this one.
    if "resolver_base_url" not in get_settings().model_fields_set:
        if host in WILDCARD_HOSTS:
            console.print(f"[yellow]listening on every address: set TRACE_RESOLVER_BASE_URL to the address phones "
                          f"reach (labels now say {get_settings().resolver_base_url}) / 请设置 "
                          "TRACE_RESOLVER_BASE_URL 为手机可访问的地址[/yellow]")
        else:
            os.environ["TRACE_RESOLVER_BASE_URL"] = f"http://{f'[{host}]' if ':' in host else host}:{port}"
            get_settings.cache_clear()
    migrate.upgrade(get_settings().database_url)
    if demo_days and not _has_batches():
        seed(days=demo_days, start=None, random_seed=2025, reset=False)
    console.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("trace.app:app", host=host, port=port)


def main() -> None:
    try:
        app()
    except DomainError as refused:
        # The same refusal the API answers with a 4xx: a message, not a traceback.
        console.print(f"[red]{escape(refused.zh)}[/red] / {escape(refused.en)} ({refused.code})", highlight=False)
        raise SystemExit(1) from None
