"""Reading the custody log through the API: one chain or all, oldest first, paged by after_id."""

from __future__ import annotations

from tests.factories import bearer, make_world


def test_one_chain_is_read_in_pages_oldest_first(client, session):
    world = make_world(session)
    for quantity in ("1", "2", "3"):
        world.ship(session, quantity)
    session.commit()
    headers = bearer(session, world.inspector)
    stream = f"batch:{world.batch.id}"

    first = client.get("/api/v1/events", params={"stream": stream, "limit": 2}, headers=headers).json()
    rest = client.get("/api/v1/events", params={"stream": stream, "after_id": first[-1]["id"]},
                      headers=headers).json()

    chain = first + rest
    assert [e["seq"] for e in chain] == list(range(1, len(chain) + 1))
    assert {e["stream"] for e in chain} == {stream}
    assert len(chain) == 4  # commissioning and three shipments


def test_the_whole_log_pages_across_chains(client, session):
    world = make_world(session)
    session.commit()
    headers = bearer(session, world.admin)

    page = client.get("/api/v1/events", params={"limit": 3}, headers=headers).json()
    following = client.get("/api/v1/events", params={"after_id": page[-1]["id"], "limit": 3}, headers=headers).json()

    ids = [e["id"] for e in page + following]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert len({e["stream"] for e in page + following}) > 1
