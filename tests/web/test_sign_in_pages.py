"""Signing in and out through the pages, as a browser does (cookies, forms, redirects)."""

from __future__ import annotations

from tests.factories import make_person, make_school, make_supplier
from tests.helpers import TEST_PASSWORD, form_token, session_csrf, sign_in
from trace.models import Role
from trace.sessions import COOKIE_NAME


def test_a_visitor_sees_the_public_entry_at_home(client, session):
    make_school(session, name="章丘区明水街道示例小学")
    session.commit()

    page = client.get("/")

    assert page.status_code == 200
    assert 'action="/lookup"' in page.text and "章丘区明水街道示例小学" in page.text
    assert 'href="/signin"' in page.text


def test_signing_in_lands_on_the_first_page_of_the_role(client, session):
    make_person(session, Role.inspector, username="jianguan")
    session.commit()

    response = sign_in(client, "jianguan")

    assert response.status_code == 303
    assert response.headers["location"] == "/inspect/search"
    assert client.get("/", follow_redirects=False).headers["location"] == "/inspect/search"


def test_the_session_cookie_is_http_only_and_same_site_lax(client, session):
    make_person(session, Role.admin, username="guanli")
    session.commit()

    cookie = sign_in(client, "guanli").headers["set-cookie"]

    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests


def test_the_session_cookie_is_secure_over_https(app, session):
    from fastapi.testclient import TestClient

    make_person(session, Role.admin, username="guanli2")
    session.commit()
    with TestClient(app, base_url="https://testserver") as secure_client:
        cookie = sign_in(secure_client, "guanli2").headers["set-cookie"]

    assert "Secure" in cookie


def test_a_wrong_password_shows_the_form_again_with_a_message(client, session):
    make_person(session, Role.admin, username="guanli3")
    session.commit()

    response = sign_in(client, "guanli3", "Not-The-Password-1")

    assert response.status_code == 401
    assert "用户名或密码不正确" in response.text
    assert COOKIE_NAME not in response.headers.get("set-cookie", "")


def test_an_unknown_username_gets_the_same_message_as_a_wrong_password(client, session):
    make_person(session, Role.admin, username="guanli4")
    session.commit()

    known = sign_in(client, "guanli4", "Not-The-Password-1")
    unknown = sign_in(client, "nobody-here", "Not-The-Password-1")

    assert (known.status_code, known.text) == (unknown.status_code, unknown.text.replace("nobody-here", "guanli4"))


def test_a_sign_in_form_posted_without_its_token_is_refused(client, session):
    make_person(session, Role.admin, username="guanli5")
    session.commit()
    client.get("/signin")

    response = client.post("/signin", data={"username": "guanli5", "password": TEST_PASSWORD})

    assert response.status_code == 403
    assert "安全令牌" in response.text
    assert COOKIE_NAME not in response.headers.get("set-cookie", "")


def test_signing_out_ends_the_session(client, session):
    make_person(session, Role.admin, username="guanli6")
    session.commit()
    sign_in(client, "guanli6")
    token = session_csrf(client)

    response = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303
    assert client.get("/account/password", follow_redirects=False).headers["location"].startswith("/signin")


def test_a_page_for_signed_in_people_sends_a_visitor_to_sign_in(client):
    response = client.get("/account/password", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Faccount%2Fpassword"


def test_the_api_accepts_the_session_cookie(client, session):
    supplier = make_supplier(session)
    make_person(session, Role.supplier, username="gongying", supplier_id=supplier.id)
    session.commit()
    sign_in(client, "gongying")

    response = client.get(f"/api/v1/suppliers/{supplier.id}")

    assert response.status_code == 200, response.text


def test_form_token_helper_reads_the_sign_in_form(client):
    assert len(form_token(client.get("/signin").text)) > 20


class Clock:
    """The sign-in clock, moved by the test (the waits are real seconds otherwise)."""

    def __init__(self) -> None:
        from trace.db import utcnow

        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def test_a_flood_of_wrong_passwords_is_slowed_then_locked_with_a_clear_message(client, session, monkeypatch):
    from datetime import timedelta

    import trace.sign_in

    make_person(session, Role.admin, username="guanli7")
    session.commit()
    clock = Clock()
    monkeypatch.setattr(trace.sign_in, "utcnow", clock)

    answers = []
    for n in range(1, 11):
        answers.append(sign_in(client, "guanli7", "Not-The-Password-1"))
        if 3 <= n < 10:  # each next try as soon as it is accepted: 2, 4, 8… seconds
            clock.now += timedelta(seconds=2 ** (n - 2))
    slowed = sign_in(client, "guanli7", TEST_PASSWORD)

    assert [a.status_code for a in answers[:9]] == [401] * 9
    assert answers[2].status_code == 401 and "请在" in answers[2].text  # the third says when to try again
    assert answers[9].status_code == 429 and "已暂时锁定" in answers[9].text
    assert slowed.status_code == 429 and "已暂时锁定" in slowed.text  # even the right password waits
    clock.now += timedelta(minutes=15)
    assert sign_in(client, "guanli7", TEST_PASSWORD).status_code == 303


def test_a_try_too_soon_after_failures_is_answered_with_the_time_to_wait(client, session, monkeypatch):
    import trace.sign_in

    make_person(session, Role.admin, username="guanli8")
    session.commit()
    monkeypatch.setattr(trace.sign_in, "utcnow", Clock())
    for _ in range(3):
        sign_in(client, "guanli8", "Not-The-Password-1")

    response = sign_in(client, "guanli8", TEST_PASSWORD)

    assert response.status_code == 429
    assert "尝试次数过多" in response.text and "秒后" in response.text


def test_behind_a_proxy_its_client_address_is_believed(app, session, monkeypatch):
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from trace.models import CustodyEvent
    from trace.settings import get_settings

    monkeypatch.setattr(get_settings(), "behind_proxy", True)
    person = make_person(session, Role.admin, username="guanli9")
    session.commit()
    with TestClient(app, base_url="https://testserver") as behind:
        behind.headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
        assert sign_in(behind, "guanli9").status_code == 303

    event = session.execute(select(CustodyEvent).where(CustodyEvent.stream == f"user:{person.id}")
                            .order_by(CustodyEvent.seq.desc())).scalars().first()
    assert event.biz_step == "signing_in" and '"client_address":"203.0.113.9"' in event.payload


def test_behind_a_proxy_its_https_makes_cookies_secure(client, session, monkeypatch):
    from trace.settings import get_settings

    monkeypatch.setattr(get_settings(), "behind_proxy", True)
    client.headers.update({"X-Forwarded-Proto": "https"})

    assert "Secure" in client.get("/signin").headers["set-cookie"]


def test_in_production_cookies_are_secure_even_over_plain_http(client, session, monkeypatch):
    """A TLS-terminating proxy that forgets X-Forwarded-Proto must not get session cookies sent in clear."""
    from trace.settings import get_settings

    make_person(session, Role.admin, username="guanli11")
    session.commit()
    monkeypatch.setattr(get_settings(), "environment", "production")

    assert "Secure" in sign_in(client, "guanli11").headers["set-cookie"]


def test_not_behind_a_proxy_its_headers_are_ignored(client, session):
    make_person(session, Role.admin, username="guanli10")
    session.commit()
    client.headers.update({"X-Forwarded-Proto": "https"})

    assert "Secure" not in sign_in(client, "guanli10").headers["set-cookie"]


def test_signing_in_again_ends_the_browsers_previous_session(client, session):
    from sqlalchemy import select

    from trace.models import WebSession

    admin = make_person(session, Role.admin, username="guanli11")
    inspector = make_person(session, Role.inspector, username="jianguan11")
    session.commit()
    sign_in(client, "guanli11")
    visitor = client.get("/signin", follow_redirects=False)  # a signed-in person is sent on…
    assert visitor.status_code == 303
    token = client.cookies.get("trace_csrf")  # the sign-in form of an old tab carries this

    # …but a sign-in form posted anyway signs the new person in and ends the old session.
    client.post("/signin", data={"username": "jianguan11", "password": TEST_PASSWORD, "csrf_token": token},
                follow_redirects=False)

    rows = session.execute(select(WebSession.user_id, WebSession.revoked_at).order_by(WebSession.id)).all()
    assert [(user_id, revoked is not None) for user_id, revoked in rows] == [(admin.id, True), (inspector.id, False)]
