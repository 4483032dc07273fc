"""The inspectors' workspace: search and trace a batch, verify the chains, seal, lift and recall."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from suppliers import service as supplier_service
from suppliers.models import BatchStatus
from tests.helpers import form_token, sign_in
from tests.web.work_world import world_with_people
from trace import checkpoints
from trace.custody import events_for_batch


@pytest.fixture
def people(session):
    return world_with_people(session)


@pytest.fixture
def inspector(client, people):
    sign_in(client, people.inspector)
    return client


def _status(session, batch_id: int) -> BatchStatus:
    session.expire_all()
    return supplier_service.batch_get(session, batch_id).status


def test_searching_a_lot_code_finds_the_batch_and_links_its_trace(inspector, people):
    batch = people.world.batch

    page = inspector.get(f"/inspect/search?q={batch.lot_code}").text

    assert f'href="/inspect/batches/{batch.id}"' in page and people.world.product.name in page


def test_searching_a_suppliers_name_lists_its_batches(inspector, people):
    world = people.world

    page = inspector.get("/inspect/search", params={"q": world.supplier.name}).text

    assert world.supplier.credit_code in page and f'href="/inspect/batches/{world.batch.id}"' in page


def test_a_search_that_finds_nothing_says_so(inspector):
    page = inspector.get("/inspect/search?q=NOSUCHLOT").text

    assert "没有批次使用该批号" in page and "没有供应商的名称或信用代码包含该内容" in page


def test_the_batch_page_traces_back_to_the_source_and_forward_to_every_school(inspector, session, people):
    world = people.world
    world.receive(session, world.ship(session, "10"), "8", "2", rejection_reason="破损")
    world.ship(session, "5")
    session.commit()

    page = inspector.get(f"/inspect/batches/{world.batch.id}").text

    # backward: supplier and licences, product, papers, orders, receipts, the custody timeline
    assert world.supplier.name in page and "食品经营许可证" in page and "JY1370114" in page
    assert "随货证明" in page and "验收记录" in page and "破损" in page
    assert "批次登记" in page and "学校验收" in page and f"batch:{world.batch.id}" in page
    # forward: the school with shipped, in transit, accepted, rejected, on hand, and the totals
    assert "去向（正向追溯）" in page and world.school.name in page
    assert "15 kg" in page and "5 kg" in page and "8 kg" in page and "2 kg" in page and "合计" in page


def test_sealing_a_batch_from_its_page_redirects_and_says_done(inspector, session, people):
    batch = people.world.batch
    token = form_token(inspector.get(f"/inspect/batches/{batch.id}").text)

    posted = inspector.post(f"/inspect/batches/{batch.id}/hold",
                            data={"reason": "农残快检阳性", "next": f"/inspect/batches/{batch.id}", "csrf_token": token},
                            follow_redirects=False)

    assert posted.status_code == 303 and posted.headers["location"] == f"/inspect/batches/{batch.id}?done=hold"
    assert _status(session, batch.id) == BatchStatus.on_hold
    assert "已完成：" in inspector.get(posted.headers["location"]).text


def test_a_measure_without_a_reason_is_refused_on_the_page(inspector, session, people):
    batch = people.world.batch
    token = form_token(inspector.get(f"/inspect/batches/{batch.id}").text)

    page = inspector.post(f"/inspect/batches/{batch.id}/hold", data={"reason": " ", "csrf_token": token})

    assert page.status_code == 422 and "请填写原因" in page.text
    assert _status(session, batch.id) == BatchStatus.active


def test_a_measure_posted_without_its_token_is_refused(inspector, session, people):
    batch = people.world.batch

    page = inspector.post(f"/inspect/batches/{batch.id}/hold", data={"reason": "农残快检阳性"})

    assert page.status_code == 403 and "表单已过期" in page.text
    assert _status(session, batch.id) == BatchStatus.active


def test_lifting_a_seal_from_the_holds_page_returns_to_it(inspector, session, people):
    batch = people.world.batch
    token = form_token(inspector.get("/inspect/holds").text)
    inspector.post(f"/inspect/batches/{batch.id}/hold", data={"reason": "农残快检阳性", "csrf_token": token})
    holds = inspector.get("/inspect/holds").text
    assert batch.lot_code in holds and "已封存" in holds and f"/inspect/batches/{batch.id}/release" in holds
    assert "农残快检阳性" in holds  # why it was sealed

    posted = inspector.post(f"/inspect/batches/{batch.id}/release",
                            data={"reason": "复检阴性", "next": "/inspect/holds", "csrf_token": token},
                            follow_redirects=False)

    assert posted.headers["location"] == "/inspect/holds?done=release"
    assert _status(session, batch.id) == BatchStatus.active
    assert "目前没有被封存或召回的批次" in inspector.get("/inspect/holds").text


def test_an_admin_may_recall_but_is_not_offered_the_seal(client, session, people):
    batch = people.world.batch
    sign_in(client, people.admin)
    page = client.get(f"/inspect/batches/{batch.id}").text
    assert f"/inspect/batches/{batch.id}/recall" in page and f"/inspect/batches/{batch.id}/hold" not in page
    token = form_token(page)

    sealed = client.post(f"/inspect/batches/{batch.id}/hold", data={"reason": "试图封存", "csrf_token": token})
    recalled = client.post(f"/inspect/batches/{batch.id}/recall", data={"reason": "抽检不合格", "csrf_token": token},
                           follow_redirects=False)

    assert sealed.status_code == 403
    assert recalled.status_code == 303 and _status(session, batch.id) == BatchStatus.recalled


def test_verifying_intact_chains_says_so_with_the_latest_checkpoint(inspector, session, people):
    checkpoints.checkpoint_create(session, key=checkpoints.load_or_create_signing_key())
    session.commit()
    page = inspector.get("/inspect/chains").text
    assert "最新的签名检查点" in page and "尚未签名任何检查点" not in page

    result = inspector.post("/inspect/chains", data={"csrf_token": form_token(page)})

    assert result.status_code == 200 and "全部哈希链完整" in result.text


def test_verifying_an_edited_chain_names_the_chain_and_the_event(inspector, session, people):
    world = people.world
    world.ship(session, "400")
    session.commit()
    shipped = events_for_batch(session, world.batch.id)[1]
    session.execute(text("UPDATE custody_event SET payload = :p WHERE id = :id"),
                    {"p": shipped.payload.replace("400", "40"), "id": shipped.id})
    session.commit()

    page = inspector.post("/inspect/chains", data={"csrf_token": form_token(inspector.get("/inspect/chains").text)})

    assert "条链断裂" in page.text and "有记录被改动" in page.text
    assert f"batch:{world.batch.id}" in page.text and "#2" in page.text


def test_a_chain_verification_posted_without_its_token_is_refused(inspector):
    assert inspector.post("/inspect/chains").status_code == 403


def test_canteen_staff_may_not_open_the_inspectors_pages(client, people):
    sign_in(client, people.canteen)

    assert client.get("/inspect/search").status_code == 403


def test_a_percent_sign_in_the_search_is_not_a_wildcard(inspector, people):
    page = inspector.get("/inspect/search", params={"q": "%"}).text

    assert people.world.supplier.name not in page and "没有供应商的名称或信用代码包含该内容" in page
