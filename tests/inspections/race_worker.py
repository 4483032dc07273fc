"""One process of the hold race (run by test_holds_under_concurrency): it drives the API
through the whole request path (token, write context, services) on its own engine, as a
separate server worker would, and prints what it was answered."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from trace.guard import ensure_project_trace

ensure_project_trace()

from fastapi.testclient import TestClient  # noqa: E402

from tests.factories import today  # noqa: E402
from trace.app import create_app  # noqa: E402
from trace.db import make_engine  # noqa: E402


def main(database_url: str, sync_dir: str, me: int, workers: int, mode: str, rounds: list[dict]) -> None:
    """Play each round (one batch each) after every worker is ready for it; answers per round."""
    engine = make_engine(database_url)
    answers: list[Counter[str]] = []
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        for number, params in enumerate(rounds):
            _barrier(Path(sync_dir), number, me, workers)
            headers = {"Authorization": f"Bearer {params['token']}"}
            answers.append(Counter())
            for request in _requests(mode, params):
                if request is None:
                    time.sleep(0.003)
                    continue
                path, body = request
                response = client.post(path, json=body, headers=headers)
                code = _answer(answers[-1], response)
                if mode == "receive" and response.status_code == 201:
                    # Two people: the second checker confirms the check at once, on their own token;
                    # a hold may land between the two, and then the confirmation is refused.
                    confirmed = client.post(f"/api/v1/receipt-checks/{response.json()['id']}/confirm",
                                            headers={"Authorization": f"Bearer {params['second_token']}"})
                    code = _answer(answers[-1], confirmed) or code
                if code == "batch_recalled":
                    break  # for good: nothing more to learn from this batch
    engine.dispose()
    print(json.dumps(answers))


def _answer(counted: Counter[str], response) -> str:
    code = response.json().get("error", {}).get("code", "") if response.status_code >= 400 else ""
    counted[f"{response.status_code} {code}".strip()] += 1
    return code


def _barrier(directory: Path, number: int, me: int, workers: int) -> None:
    # All start a round together, to collide as much as possible.
    (directory / f"ready-{number}-{me}").touch()
    while len(list(directory.glob(f"ready-{number}-*"))) < workers:
        time.sleep(0.002)


def _requests(mode: str, params: dict):
    batch_id = params.get("batch_id")
    if mode == "use":
        for _ in range(params["attempts"]):
            yield "/api/v1/uses", {"batch_id": batch_id, "quantity": "0.25", "unit": "kg",
                                   "use_date": today().isoformat(), "meal": "lunch", "dish": "米饭"}
    elif mode == "ship":
        for _ in range(params["attempts"]):
            yield "/api/v1/shipments", {"batch_id": batch_id, "order_line_id": params["line_id"], "quantity": "0.5",
                                        "unit": "kg", "ship_date": today().isoformat()}
    elif mode == "receive":
        for shipment_id in params["shipment_ids"]:
            yield "/api/v1/receipt-checks", {
                "shipment_id": shipment_id, "accepted_quantity": "1", "rejected_quantity": "0", "unit": "kg",
                "certificates_checked": params["papers"], "receipt_date": today().isoformat()}
    elif mode == "supervise":
        for _ in range(params["cycles"]):
            yield f"/api/v1/batches/{batch_id}/hold", {"reason": "快检阳性，封存待检"}
            yield None
            yield f"/api/v1/batches/{batch_id}/release", {"reason": "复检合格，解除封存"}
            yield None
        if params.get("recall"):
            yield f"/api/v1/batches/{batch_id}/recall", {"reason": "实验室检测不合格，召回"}
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6]))
