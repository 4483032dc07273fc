"""The QR resolver answers as a GS1 conformant resolver should: browsers get the page,
JSON clients a linkset, and every spelling of a batch's code finds the same batch."""

from __future__ import annotations

import pytest

from tests.factories import make_batch, make_world
from trace.digital_link import build_digital_link
from trace.resolver import batch_uri
from trace.settings import get_settings

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def world(session):
    return make_world(session)


def _path(uri: str) -> str:
    return uri.removeprefix(get_settings().resolver_base_url.rstrip("/"))


def test_a_browser_is_redirected_to_the_chinese_batch_page(client, world):
    response = client.get(_path(batch_uri(world.batch)), headers=BROWSER, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/public/batches/{world.batch.id}?lang=zh-CN")
    assert 'rel="linkset"' in response.headers["link"]
    page = client.get(f"/public/batches/{world.batch.id}?lang=zh-CN")
    assert page.status_code == 200
    assert world.product.name in page.text
    assert "批号" in page.text and world.batch.lot_code in page.text
    assert world.supplier.name in page.text


def test_accept_language_english_picks_the_english_page(client, world):
    response = client.get(_path(batch_uri(world.batch)), headers={**BROWSER, "Accept-Language": "en-GB,en;q=0.9"},
                          follow_redirects=True)
    assert response.status_code == 200
    assert "Batch traceability record" in response.text
    assert response.headers["content-language"] == "en"


def test_a_json_client_gets_an_rfc_9264_linkset(client, world):
    response = client.get(_path(batch_uri(world.batch)), headers={"Accept": "application/linkset+json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/linkset+json")
    entry = response.json()["linkset"][0]
    assert entry["anchor"] == batch_uri(world.batch)
    assert {"https://gs1.org/voc/pip", "https://gs1.org/voc/traceability",
            "https://gs1.org/voc/certificationInfo", "https://gs1.org/voc/defaultLink"} <= set(entry)
    assert {link["hreflang"][0] for link in entry["https://gs1.org/voc/pip"]} == {"zh-CN", "en"}


def test_link_type_all_gets_the_linkset_even_for_a_browser(client, world):
    response = client.get(_path(batch_uri(world.batch)) + "?linkType=all", headers=BROWSER)
    assert response.json()["linkset"][0]["anchor"] == batch_uri(world.batch)


def test_link_type_picks_one_link(client, world):
    response = client.get(_path(batch_uri(world.batch)) + "?linkType=gs1:certificationInfo", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/public/batches/{world.batch.id}/certificates.json")
    certificates = client.get(response.headers["location"].split("8000", 1)[-1]).json()
    assert certificates["supplier_licences"][0]["number"].startswith("JY1")


def test_an_unknown_link_type_falls_back_to_the_default_link(client, world):
    response = client.get(_path(batch_uri(world.batch)) + "?linkType=gs1:recipeInfo", follow_redirects=False)
    assert response.status_code == 307
    assert "/public/batches/" in response.headers["location"]


def test_gtin_13_and_percent_encoded_spellings_resolve_to_the_same_batch(client, session, world):
    batch = make_batch(session, world.supplier, world.product, world.actor(world.supplier_user), lot_code="AB/12")
    session.commit()
    canonical = _path(batch_uri(batch))
    assert canonical.endswith("/10/AB%2F12")
    variants = [canonical, canonical.replace(f"/01/{batch.gtin}", f"/01/{batch.gtin[1:]}"),
                canonical.replace("AB%2F12", "%41B%2F12"), canonical + "?17=991231"]
    for variant in variants:
        linkset = client.get(variant, headers={"Accept": "application/json"}).json()
        assert linkset["linkset"][0]["anchor"] == batch_uri(batch), variant


def test_an_unknown_batch_gets_a_friendly_chinese_404_page(client, world):
    uri = build_digital_link("http://x", world.batch.gtin, "NOSUCHLOT")
    response = client.get(_path(uri).removeprefix("http://x"), headers=BROWSER)
    assert response.status_code == 404
    assert "未找到该批次" in response.text
    assert "Traceback" not in response.text


def test_a_malformed_code_gets_a_friendly_400_page_or_json(client):
    page = client.get("/01/12345678901234/10/LOT1", headers=BROWSER)
    assert page.status_code == 400
    assert "这不是有效的批次二维码" in page.text
    as_json = client.get("/01/12345678901234/10/LOT1", headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert as_json.json()["error"]["code"] == "invalid_gtin"


def test_the_resolver_describes_itself(client):
    description = client.get("/.well-known/gs1resolver").json()
    assert description["supportedPrimaryKeys"] == ["01"]
    assert description["resolverRoot"] == get_settings().resolver_base_url.rstrip("/")


def test_the_public_traceability_data_lists_custody_steps(client, session, world):
    world.receive(session, world.ship(session, "10"), "10")
    session.commit()
    data = client.get(f"/public/batches/{world.batch.id}/traceability.json").json()
    assert [step["biz_step"] for step in data["custody"]] == ["commissioning", "shipping", "receiving"]
    assert data["digital_link"] == batch_uri(world.batch)
