"""The administrator's account pages and audit log, used as a browser does (forms, cookies, redirects)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import bearer, make_person, make_school, make_supplier, make_user
from tests.helpers import TEST_PASSWORD, form_token, session_csrf, sign_in
from trace.models import ApiToken, Role, User
from web.once import ONCE_COOKIE

SECRET = re.compile(r'<section class="secret".*?<code>([^<]+)</code>', re.S)


@pytest.fixture
def admin(client, session):
    """The test client, signed in as an administrator."""
    make_person(session, Role.admin, username="guanli")
    session.commit()
    assert sign_in(client, "guanli").status_code == 303
    return client


@contextmanager
def browser(app):
    """Another person's browser, with cookies of its own."""
    with TestClient(app) as other:
        yield other


def post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": session_csrf(client), **fields}, follow_redirects=False)


def read(session, statement):
    """Read fresh, then end the test's transaction: an open one would hold SQLite's lock against the app.

    Nothing is expired (an expired object would reload, and lock, on its next use)."""
    result = session.execute(statement, execution_options={"populate_existing": True}).scalars().all()
    session.commit()
    return result


def user_named(session, username: str) -> User:
    (user,) = read(session, select(User).where(User.username == username))
    return user


def events_in(page) -> str:
    """The audit table's rows (the filter form above it names every kind of event)."""
    found = re.search(r'<table class="records audit">.*?</table>', page.text, re.S)
    return found.group(0) if found else ""


def secret_on(page) -> str:
    found = SECRET.search(page.text)
    assert found, "the page shows no secret"
    return found.group(1).strip()


def create_account(admin, session, **fields) -> tuple[User, str]:
    school = make_school(session)
    session.commit()
    form = {"username": "shitang-li", "display_name": "李师傅", "role": "canteen_staff",
            "binding": f"school:{school.id}"} | fields
    response = post(admin, "/admin/accounts", **form)
    assert response.status_code == 303, response.text
    user = user_named(session, form["username"])
    assert response.headers["location"] == f"/admin/accounts/{user.id}?done=created"
    return user, secret_on(admin.get(response.headers["location"]))


# --- creating an account ---------------------------------------------------------------------


def test_an_admin_creates_an_account_whose_one_time_password_must_be_changed_at_first_sign_in(admin, app, session):
    user, one_time = create_account(admin, session)

    assert (user.role, user.must_change_password, user.active) == (Role.canteen_staff, True, True)
    with browser(app) as person:
        signed_in = sign_in(person, "shitang-li", one_time)
        assert signed_in.headers["location"] == "/account/password"
        assert person.get("/", follow_redirects=False).headers["location"] == "/account/password"
        changed = person.post("/account/password", data={
            "current": one_time, "new": "Kitchen-Scales-2025", "confirm": "Kitchen-Scales-2025",
            "csrf_token": session_csrf(person)}, follow_redirects=False)
        assert changed.status_code == 303 and changed.headers["location"] == "/canteen/deliveries"
    assert user_named(session, "shitang-li").must_change_password is False


def test_the_one_time_password_is_shown_once_only(admin, session):
    user, _ = create_account(admin, session)

    again = admin.get(f"/admin/accounts/{user.id}")

    assert '<section class="secret"' not in again.text
    assert again.headers["cache-control"] == "no-store"
    assert ONCE_COOKIE not in admin.cookies


def test_the_form_shows_the_service_refusal_when_the_binding_does_not_fit_the_role(admin, session):
    supplier = make_supplier(session)
    session.commit()

    response = post(admin, "/admin/accounts", username="gongying-x", display_name="王经理", role="canteen_staff",
                    binding=f"supplier:{supplier.id}")

    assert response.status_code == 422
    assert "食堂人员账号必须且只能绑定一所学校" in response.text
    assert 'value="gongying-x"' in response.text  # the form keeps what was typed
    assert read(session, select(User).where(User.username == "gongying-x")) == []


def test_a_taken_username_is_refused_on_the_form(admin, session):
    make_user(session, Role.inspector, username="jianguan-1")
    session.commit()

    response = post(admin, "/admin/accounts", username="jianguan-1", display_name="赵", role="inspector")

    assert response.status_code == 422 and "用户名 jianguan-1 已被使用" in response.text


# --- acting on an account --------------------------------------------------------------------


def test_a_reset_issues_a_new_one_time_password_and_ends_the_persons_sessions(admin, app, session):
    make_person(session, Role.inspector, username="jianguan")
    session.commit()
    target = user_named(session, "jianguan")
    with browser(app) as person:
        sign_in(person, "jianguan")
        response = post(admin, f"/admin/accounts/{target.id}/password-reset")
        assert response.headers["location"] == f"/admin/accounts/{target.id}?done=reset"
        one_time = secret_on(admin.get(response.headers["location"]))

        assert person.get("/account/password", follow_redirects=False).headers["location"].startswith("/signin")
        assert sign_in(person, "jianguan", TEST_PASSWORD).status_code == 401
        assert sign_in(person, "jianguan", one_time).headers["location"] == "/account/password"


def test_deactivating_stops_sign_in_and_every_api_token(admin, app, session):
    make_person(session, Role.inspector, username="jianguan")
    session.commit()
    target = user_named(session, "jianguan")
    token = bearer(session, target)

    response = post(admin, f"/admin/accounts/{target.id}/deactivate", reason="调离岗位")

    assert response.headers["location"] == f"/admin/accounts/{target.id}?done=deactivated"
    assert admin.get("/api/v1/me", headers=token).status_code == 401
    with browser(app) as person:
        assert sign_in(person, "jianguan").status_code == 401
    page = admin.get(f"/admin/accounts/{target.id}")
    assert "已停用" in page.text and "/reactivate" in page.text


def test_a_reactivated_account_signs_in_again(admin, app, session):
    make_person(session, Role.inspector, username="jianguan")
    session.commit()
    target = user_named(session, "jianguan")
    post(admin, f"/admin/accounts/{target.id}/deactivate")

    response = post(admin, f"/admin/accounts/{target.id}/reactivate")

    assert response.headers["location"] == f"/admin/accounts/{target.id}?done=reactivated"
    with browser(app) as person:
        assert sign_in(person, "jianguan").status_code == 303


def test_an_admin_cannot_deactivate_their_own_account(admin, session):
    me = user_named(session, "guanli")

    response = post(admin, f"/admin/accounts/{me.id}/deactivate")

    assert response.status_code == 409
    assert "不能停用自己的账号" in response.text
    assert user_named(session, "guanli").active


def test_a_token_issued_on_the_page_is_shown_once_and_works_until_revoked(admin, session):
    target = make_user(session, Role.inspector, username="saomaqiang")
    session.commit()

    issued = post(admin, f"/admin/accounts/{target.id}/tokens", name="扫码枪 1 号")
    page = admin.get(issued.headers["location"])
    token = secret_on(page)
    assert token.startswith("zqt_") and "扫码枪 1 号" in page.text
    assert admin.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    (row,) = read(session, select(ApiToken).where(ApiToken.user_id == target.id))
    revoked = post(admin, f"/admin/accounts/{target.id}/tokens/{row.id}/revoke")

    assert revoked.headers["location"] == f"/admin/accounts/{target.id}?done=token_revoked"
    assert admin.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "已吊销" in admin.get(f"/admin/accounts/{target.id}").text


def test_the_token_list_says_when_each_was_created_and_last_used(admin, session):
    target = make_user(session, Role.inspector, username="saomaqiang")
    admin.get("/api/v1/me", headers=bearer(session, target))

    page = admin.get(f"/admin/accounts/{target.id}")

    assert page.text.count("年") >= 2 and "从未使用" not in page.text


def test_a_token_of_another_account_cannot_be_revoked_through_this_one(admin, session):
    one, other = make_user(session, Role.inspector), make_user(session, Role.inspector)
    bearer(session, other)
    (token_id,) = read(session, select(ApiToken.id).where(ApiToken.user_id == other.id))

    response = post(admin, f"/admin/accounts/{one.id}/tokens/{token_id}/revoke")

    assert response.status_code == 404
    assert read(session, select(ApiToken.revoked_at).where(ApiToken.id == token_id)) == [None]


def test_changing_the_role_and_binding(admin, session):
    school, supplier = make_school(session), make_supplier(session)
    target = make_user(session, Role.canteen_staff, school_id=school.id)
    session.commit()

    response = post(admin, f"/admin/accounts/{target.id}/binding", role="supplier", binding=f"supplier:{supplier.id}")

    assert response.headers["location"] == f"/admin/accounts/{target.id}?done=rebound"
    changed = user_named(session, target.username)
    assert (changed.role, changed.supplier_id, changed.school_id) == (Role.supplier, supplier.id, None)


def test_an_admin_or_inspector_bound_to_a_school_is_refused(admin, session):
    school = make_school(session)
    target = make_user(session, Role.inspector)
    session.commit()

    response = post(admin, f"/admin/accounts/{target.id}/binding", role="admin", binding=f"school:{school.id}")

    assert response.status_code == 422 and "管理员和监管人员账号不绑定供应商或学校" in response.text
    assert user_named(session, target.username).role == Role.inspector


def test_an_unknown_account_is_not_found(admin):
    assert admin.get("/admin/accounts/999999").status_code == 404
    assert post(admin, "/admin/accounts/999999/password-reset").status_code == 404


# --- the list --------------------------------------------------------------------------------


def test_the_list_filters_by_role_school_status_and_name(admin, session):
    school, other_school = make_school(session), make_school(session)
    make_user(session, Role.canteen_staff, username="zhang-shitang", display_name="张师傅", school_id=school.id)
    make_user(session, Role.canteen_staff, username="wang-shitang", display_name="王师傅", school_id=other_school.id)
    make_user(session, Role.inspector, username="liu-jianguan", display_name="刘科长")
    session.commit()

    by_school = admin.get(f"/admin/accounts?binding=school:{school.id}").text
    by_role = admin.get("/admin/accounts?role=inspector").text
    by_name = admin.get("/admin/accounts?q=王").text

    assert "zhang-shitang" in by_school and "wang-shitang" not in by_school
    assert "liu-jianguan" in by_role and "zhang-shitang" not in by_role
    assert "wang-shitang" in by_name and "zhang-shitang" not in by_name


def test_the_list_shows_deactivated_accounts_apart(admin, session):
    target = make_user(session, Role.inspector, username="tuixiu")
    session.commit()
    post(admin, f"/admin/accounts/{target.id}/deactivate")

    assert "tuixiu" in admin.get("/admin/accounts?status=inactive").text
    assert "tuixiu" not in admin.get("/admin/accounts?status=active").text


def test_an_empty_filter_result_says_so(admin):
    assert "没有符合筛选条件的账号" in admin.get("/admin/accounts?q=nobody-at-all").text


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/accounts", "/admin/accounts/new", "/admin/audit", "/admin/schools",
                                  "/admin/suppliers", "/admin/products"])
def test_a_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")


@pytest.mark.parametrize("role", [Role.inspector, Role.supplier, Role.canteen_staff])
def test_other_roles_may_not_open_the_admin_pages(client, session, role):
    binding = ({"school_id": make_school(session).id} if role == Role.canteen_staff else
               {"supplier_id": make_supplier(session).id} if role == Role.supplier else {})
    make_person(session, role, username="someone", **binding)
    session.commit()
    sign_in(client, "someone")

    assert client.get("/admin/accounts").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    refused = client.post("/admin/accounts", data={"csrf_token": session_csrf(client), "username": "x",
                                                   "display_name": "x", "role": "admin"})
    assert refused.status_code == 403
    assert read(session, select(User).where(User.username == "x")) == []


def test_a_form_posted_without_its_token_is_refused_and_changes_nothing(admin, session):
    target = make_user(session, Role.inspector)
    session.commit()

    response = admin.post(f"/admin/accounts/{target.id}/deactivate", data={"reason": "x"})
    forged = admin.post(f"/admin/accounts/{target.id}/deactivate", data={"reason": "x", "csrf_token": "forged" * 5})

    assert response.status_code == 403 and forged.status_code == 403
    assert "安全令牌" in response.text
    assert user_named(session, target.username).active


# --- the audit log -------------------------------------------------------------------------------


def test_the_audit_log_shows_a_failed_sign_in_with_its_client_address(admin, app, session):
    make_person(session, Role.inspector, username="jianguan")
    session.commit()
    with browser(app) as stranger:
        sign_in(stranger, "jianguan", "Wrong-Password-99")

    page = admin.get("/admin/audit")

    assert page.status_code == 200
    row = re.search(r'<tr class="alarming">.*?</tr>', page.text, re.S).group(0)
    assert "jianguan" in row and "登录被拒（密码错误）" in row and "testclient" in row
    assert "按客户端地址统计的登录失败" in page.text


def test_the_audit_log_filters_by_account_kind_dates_and_address(admin, session):
    make_user(session, Role.inspector, username="jianguan")
    session.commit()

    by_account = events_in(admin.get("/admin/audit?account=jianguan"))
    by_kind = events_in(admin.get("/admin/audit?kind=signing_in"))
    by_dates = admin.get("/admin/audit?from=2020-01-01&to=2020-01-31")
    by_address = events_in(admin.get("/admin/audit?address=testclient"))

    assert "账号已创建" in by_account and "登录成功" not in by_account  # only jianguan's chain
    assert "guanli" in by_kind and "账号已创建" not in by_kind
    assert events_in(by_dates) == "" and "没有符合筛选条件的账号事件" in by_dates.text
    assert "登录成功" in by_address and "账号已创建" not in by_address


def test_the_audit_log_names_an_unknown_account_filter(admin):
    assert "没有用户名为“nobody”的账号" in admin.get("/admin/audit?account=nobody").text


def test_an_admin_action_is_in_the_audit_log_with_who_did_it(admin, session):
    target = make_user(session, Role.inspector, username="jianguan")
    session.commit()
    post(admin, f"/admin/accounts/{target.id}/deactivate", reason="调离岗位")

    row = events_in(admin.get("/admin/audit?account=jianguan&kind=decommissioning"))

    assert "账号已停用" in row and "guanli" in row and "调离岗位" in row


def test_the_audit_log_refuses_a_backwards_date_range(admin):
    response = admin.get("/admin/audit?from=2025-09-02&to=2025-09-01")

    assert response.status_code == 422 and "开始日期不能晚于结束日期" in response.text


def test_the_filtered_audit_log_downloads_as_csv(admin, session):
    make_user(session, Role.inspector, username="jianguan")
    session.commit()

    response = admin.get("/admin/audit.csv?account=jianguan")

    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("event_id,occurred_at,account,kind")
    assert len(lines) == 2 and ",jianguan,commissioning,账号已创建," in lines[1]


def test_form_token_is_on_every_action_form(admin, session):
    target = make_user(session, Role.inspector)
    session.commit()
    page = admin.get(f"/admin/accounts/{target.id}").text

    assert page.count('name="csrf_token"') == page.count("<form") and form_token(page)


def test_failed_sign_ins_for_usernames_that_name_no_account_are_counted_by_client_address(admin, app):
    with browser(app) as stranger:
        for guess in ("root", "administrator", "test"):
            sign_in(stranger, guess, "Not-The-Password-1")

    page = admin.get("/admin/audit?address=testclient")

    summary = re.search(r"按客户端地址统计的登录失败.*?</table>", page.text, re.S).group(0)
    assert "testclient" in summary and "<td data-label=\"登录失败次数\">3</td>" in summary
    assert "root" not in events_in(page)  # no account, so no chain: only the count
