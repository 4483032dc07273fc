"""One process of the receipt-check race (run by test_receipt_check_races): it posts one request per
round through the whole request path on its own engine, as a separate server worker would, after
every process is ready for the round, and prints what it was answered."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from trace.guard import ensure_project_trace

ensure_project_trace()

from fastapi.testclient import TestClient  # noqa: E402

from trace.app import create_app  # noqa: E402
from trace.db import make_engine  # noqa: E402


def main(database_url: str, sync_dir: str, me: int, workers: int, rounds: list[dict]) -> None:
    engine = make_engine(database_url)
    answers: list[str] = []
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        for number, request in enumerate(rounds):
            _barrier(Path(sync_dir), number, me, workers)
            response = client.post(request["path"], json=request["body"],
                                   headers={"Authorization": f"Bearer {request['token']}"})
            code = response.json().get("error", {}).get("code", "") if response.status_code >= 400 else ""
            answers.append(f"{response.status_code} {code}".strip())
    engine.dispose()
    print(json.dumps(answers))


def _barrier(directory: Path, number: int, me: int, workers: int) -> None:
    # All start a round together, to collide as much as possible.
    (directory / f"ready-{number}-{me}").touch()
    while len(list(directory.glob(f"ready-{number}-*"))) < workers:
        time.sleep(0.001)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))
