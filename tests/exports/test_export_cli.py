"""``./dev cli export epcis|kde`` on a day of demo data: the file is written whole, validates,
and the command prints its SHA-256 as ``sha256sum`` does."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from suppliers.models import Batch
from tests.conftest import new_empty_database
from tests.exports.test_epcis_export import VALIDATOR
from trace.cli import app as cli
from trace.db import make_engine
from trace.settings import get_settings

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with new_empty_database(tmp_path_factory.mktemp("exports")) as url:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            get_settings.cache_clear()
            result = runner.invoke(cli, ["seed", "--days", "1", "--start", "2025-09-01"])
            assert result.exit_code == 0, result.output
        get_settings.cache_clear()
        yield url


@pytest.fixture
def operator(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    get_settings.cache_clear()
    yield demo_url
    get_settings.cache_clear()


def printed_digest(output: str, out: Path) -> str:
    line = output.strip().splitlines()[-1]
    digest, name = line.split("  ", 1)
    assert name == str(out)
    return digest


def test_the_epcis_export_of_demo_days_validates_and_prints_its_sha256(operator: str, tmp_path: Path) -> None:
    out = tmp_path / "days.jsonld"
    result = runner.invoke(cli, ["export", "epcis", str(out), "--from", "2025-09-01", "--to", "2025-09-05"])
    assert result.exit_code == 0, result.output
    assert printed_digest(result.output, out) == hashlib.sha256(out.read_bytes()).hexdigest()
    document = json.loads(out.read_bytes())
    assert len(document["epcisBody"]["eventList"]) > 500
    assert [e.message for e in VALIDATOR.iter_errors(document)][:3] == []


def test_the_kde_export_of_a_lot_opens_as_a_workbook(operator: str, tmp_path: Path) -> None:
    engine = make_engine(operator)
    with engine.connect() as connection:
        lot = connection.execute(select(Batch.lot_code).order_by(Batch.id).limit(1)).scalar_one()
    engine.dispose()
    out = tmp_path / "lot.xlsx"
    result = runner.invoke(cli, ["export", "kde", str(out), "--lot", lot])
    assert result.exit_code == 0, result.output
    assert printed_digest(result.output, out) == hashlib.sha256(out.read_bytes()).hexdigest()
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet.max_row >= 2 and {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {lot}


def test_an_unknown_batch_is_refused_and_writes_nothing(operator: str, tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    result = runner.invoke(cli, ["export", "kde", str(out), "--batch-id", "999999"])
    assert result.exit_code == 1 and "batch" in result.output.lower()
    assert list(tmp_path.iterdir()) == []
