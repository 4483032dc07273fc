"""The shell around every page: home and the public entry, the role navigation, the
one-time password, CSRF on forms and on the API by cookie, expiry, language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_batch, make_person, make_product, make_school, make_supplier, make_user
from tests.helpers import TEST_PASSWORD, assert_refused, form_token, session_csrf, sign_in
from trace.custody import Actor
from trace.models import Role

NEW = "Steamed-Buns-At-Six"


def seller(session, supplier) -> Actor:
    return Actor.of(make_user(session, Role.supplier, supplier_id=supplier.id))


@pytest.fixture
def people(session):
    school, supplier = make_school(session), make_supplier(session)
    made = {
        "canteen": make_person(session, Role.canteen_staff, username="shitang", school_id=school.id,
                               display_name="李食堂"),
        "supplier": make_person(session, Role.supplier, username="gongying", supplier_id=supplier.id),
        "inspector": make_person(session, Role.inspector, username="jianguan"),
        "admin": make_person(session, Role.admin, username="guanli"),
    }
    session.commit()
    return made


ROLE_PAGES = {
    "shitang": ["/canteen/deliveries", "/canteen/stock", "/canteen/uses"],
    "gongying": ["/supplier/orders", "/supplier/batches", "/supplier/shipments", "/supplier/labels"],
    "jianguan": ["/inspect/search", "/inspect/chains", "/inspect/holds"],
    "guanli": ["/admin/accounts", "/admin/schools", "/admin/suppliers", "/admin/products", "/admin/audit"],
}


@pytest.mark.parametrize("username", ROLE_PAGES)
def test_each_role_sees_its_own_navigation_and_lands_on_its_first_entry(client, people, username):
    landed = sign_in(client, username)
    page = client.get("/account/password").text

    assert landed.headers["location"] == ROLE_PAGES[username][0]
    for other, hrefs in ROLE_PAGES.items():
        for href in hrefs:
            assert (f'href="{href}"' in page) == (other == username), href


def test_the_layout_names_the_person_and_their_role_in_chinese(client, people):
    sign_in(client, "shitang")

    page = client.get("/account/password", headers={"Accept-Language": "zh-CN"}).text

    assert "李食堂" in page and "食堂人员" in page and "退出登录" in page and "今日到货" in page


def test_the_phone_menu_is_a_details_element_and_no_page_has_inline_script_or_style(client, people):
    sign_in(client, "guanli")

    for path in ("/account/password", "/no-such-page"):
        page = client.get(path).text
        assert '<details class="menu">' in page
        assert "<script" not in page and "style=" not in page and "<style" not in page


def test_a_visitors_home_has_no_navigation_or_inline_script(client):
    page = client.get("/").text

    assert "<details" not in page and "<script" not in page and "style=" not in page


def test_a_signed_in_person_is_sent_from_home_to_their_work(client, people):
    sign_in(client, "gongying")

    assert client.get("/", follow_redirects=False).headers["location"] == "/supplier/orders"


def test_the_school_search_filters_the_list_without_javascript(client, session):
    make_school(session, name="章丘区圣井街道示例中学", town="圣井街道")
    make_school(session, name="章丘区明水街道示例小学", town="明水街道")
    session.commit()

    page = client.get("/", params={"q": "圣井"}).text

    assert "章丘区圣井街道示例中学" in page and "章丘区明水街道示例小学" not in page


def test_a_school_links_to_its_public_page(client, session):
    school = make_school(session)
    session.commit()

    assert f'href="/public/schools/{school.id}"' in client.get("/").text


def test_a_lot_code_of_one_batch_leads_to_its_public_page(client, session):
    supplier, product = make_supplier(session), make_product(session)
    batch = make_batch(session, supplier, product, seller(session, supplier), lot_code="MS251101A")
    session.commit()

    response = client.get("/lookup", params={"lot": " ms251101a "}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == f"/public/batches/{batch.id}"


def test_a_lot_code_of_several_batches_offers_a_choice(client, session):
    supplier = make_supplier(session)
    first, second = make_product(session, name="示例大米"), make_product(session, name="示例面粉")
    a = make_batch(session, supplier, first, seller(session, supplier), lot_code="L2025")
    b = make_batch(session, supplier, second, seller(session, supplier), lot_code="L2025")
    session.commit()

    page = client.get("/lookup", params={"lot": "L2025"})

    assert page.status_code == 200
    assert f'href="/public/batches/{a.id}"' in page.text and f'href="/public/batches/{b.id}"' in page.text


def test_an_unknown_lot_code_says_so(client):
    page = client.get("/lookup", params={"lot": "NOPE1"}, headers={"Accept-Language": "zh-CN"})

    assert page.status_code == 404 and "没有批号为“NOPE1”的批次" in page.text


def test_a_one_time_password_leads_to_the_change_password_page_first(client, session):
    make_person(session, Role.inspector, username="xinren", must_change=True)
    session.commit()

    assert sign_in(client, "xinren").headers["location"] == "/account/password"
    assert client.get("/", follow_redirects=False).headers["location"] == "/account/password"
    assert_refused(client.get("/api/v1/me"), 403, "password_change_required")


def test_changing_a_one_time_password_goes_on_to_work(client, session):
    make_person(session, Role.inspector, username="xinren2", must_change=True)
    session.commit()
    sign_in(client, "xinren2")

    changed = client.post("/account/password", data={"current": TEST_PASSWORD, "new": NEW, "confirm": NEW,
                                                     "csrf_token": session_csrf(client)}, follow_redirects=False)

    assert changed.headers["location"] == "/inspect/search"
    assert client.get("/api/v1/me").status_code == 200


def test_a_refused_new_password_is_shown_on_the_form(client, people):
    sign_in(client, "jianguan")

    page = client.post("/account/password", data={"current": TEST_PASSWORD, "new": "a123456789",
                                                  "confirm": "a123456789", "csrf_token": session_csrf(client)},
                       headers={"Accept-Language": "zh-CN"})

    assert page.status_code == 422 and "这个密码太常见" in page.text


def test_a_changed_password_is_the_one_that_signs_in_next_time(client, people):
    sign_in(client, "jianguan")
    client.post("/account/password", data={"current": TEST_PASSWORD, "new": NEW, "confirm": NEW,
                                            "csrf_token": session_csrf(client)})
    client.cookies.clear()

    assert sign_in(client, "jianguan").status_code == 401
    assert sign_in(client, "jianguan", NEW).status_code == 303


def test_a_form_posted_without_the_sessions_token_is_refused_with_a_page(client, people):
    sign_in(client, "jianguan")

    page = client.post("/account/password", data={"current": TEST_PASSWORD, "new": NEW, "confirm": NEW},
                       headers={"Accept-Language": "zh-CN"})

    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "表单未被接受" in page.text and "安全令牌" in page.text


def test_a_form_posted_with_another_sessions_token_is_refused(client, app, people):
    from fastapi.testclient import TestClient

    with TestClient(app) as other:
        sign_in(other, "guanli")
        foreign = session_csrf(other)
    sign_in(client, "jianguan")

    response = client.post("/signout", data={"csrf_token": foreign})

    assert response.status_code == 403


def test_signing_out_without_the_token_is_refused(client, people):
    sign_in(client, "jianguan")

    assert client.post("/signout", follow_redirects=False).status_code == 403
    assert client.get("/account/password").status_code == 200


def test_the_api_by_cookie_refuses_a_change_without_the_csrf_header(client, people):
    sign_in(client, "guanli")

    response = client.post("/api/v1/products", json={})

    assert_refused(response, 403, "csrf_token_invalid")


def test_the_api_by_cookie_accepts_a_change_with_the_csrf_header(client, people):
    sign_in(client, "guanli")

    response = client.post("/api/v1/products", json={}, headers={"X-CSRF-Token": session_csrf(client)})

    assert_refused(response, 422, "invalid_request")  # past authentication: the empty body is what is refused


def test_a_bearer_token_needs_no_csrf_header(client, session, people):
    from tests.factories import bearer

    response = client.post("/api/v1/products", json={}, headers=bearer(session, people["admin"]))

    assert_refused(response, 422, "invalid_request")


def test_a_session_unused_for_half_an_hour_sends_the_person_to_sign_in(client, people, monkeypatch):
    import trace.deps
    from trace.db import utcnow

    sign_in(client, "jianguan")
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(trace.deps, "utcnow", lambda: later)

    response = client.get("/account/password", follow_redirects=False)

    assert response.headers["location"] == "/signin?next=%2Faccount%2Fpassword"


def test_signing_in_returns_to_the_page_asked_for(client, people):
    assert sign_in(client, "jianguan", next="/inspect/holds?status=on_hold").headers["location"] == \
        "/inspect/holds?status=on_hold"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_signing_in_never_goes_to_another_site(client, people, target):
    assert sign_in(client, "jianguan", next=target).headers["location"] == "/inspect/search"


def test_the_sign_in_page_of_a_signed_in_person_sends_them_on(client, people):
    sign_in(client, "jianguan")

    assert client.get("/signin", follow_redirects=False).headers["location"] == "/inspect/search"


def test_english_chosen_once_is_remembered(client):
    first = client.get("/?lang=en")
    again = client.get("/", headers={"Accept-Language": "zh-CN"})

    assert "lang=en" in first.headers["set-cookie"]
    assert "Look up a batch" in again.text and 'lang="en"' in again.text


def test_chinese_is_the_default(client):
    page = client.get("/", headers={"Accept-Language": ""})

    assert 'lang="zh-CN"' in page.text and "查询批次" in page.text


def test_the_language_switch_keeps_the_page_and_its_query(client):
    page = client.get("/lookup?lot=ABC", headers={"Accept-Language": "zh-CN"}).text

    assert 'href="/lookup?lot=ABC&amp;lang=en"' in page


def test_a_missing_page_for_a_signed_in_person_keeps_the_shell(client, people):
    sign_in(client, "jianguan")

    page = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})

    assert page.status_code == 404 and "页面不存在" in page.text and 'href="/inspect/search"' in page.text


def test_the_sign_in_form_carries_a_token_and_sets_its_cookie(client):
    page = client.get("/signin")

    assert form_token(page.text) and "trace_csrf=" in page.headers["set-cookie"]


def test_a_lot_code_that_cannot_be_one_says_what_a_lot_code_looks_like(client):
    page = client.get("/lookup", params={"lot": "批号 12"}, headers={"Accept-Language": "zh-CN"})

    assert page.status_code == 422 and "只能使用字母、数字" in page.text


def test_a_one_time_password_page_shows_no_menu_that_would_only_lead_back(client, session):
    make_person(session, Role.inspector, username="xinren3", must_change=True)
    session.commit()
    sign_in(client, "xinren3")

    page = client.get("/account/password").text

    assert 'href="/inspect/search"' not in page and 'action="/signout"' in page
