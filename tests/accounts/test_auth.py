"""Login, tokens, lockout, rate limiting, revocation and CSRF."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, bearer, create_account, login_browser_session
from warroom.core.db import Database
from warroom.core.security.permissions import Role


def test_token_grants_the_users_role(client: TestClient, app_db: Database) -> None:
    account = create_account(app_db, Role.OPERATOR)
    me = client.get("/api/me", headers=bearer(client, account)).json()
    assert me["name"] == account.username and me["role"] == "operator"
    assert "users:manage" not in me["permissions"]


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, app_db: Database
) -> None:
    account = create_account(app_db, Role.OPERATOR)
    wrong = client.post("/api/auth/token", json={"username": account.username, "password": "x"})
    unknown = client.post("/api/auth/token", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_account_locks_after_repeated_failures(client: TestClient, app_db: Database) -> None:
    account = create_account(app_db, Role.DISPATCHER)
    for _ in range(5):
        client.post("/api/auth/token", json={"username": account.username, "password": "bad"})
    locked = client.post(
        "/api/auth/token", json={"username": account.username, "password": PASSWORD}
    )
    assert locked.status_code == 401, "the right password must not open a locked account"
    users = client.get("/api/users", headers=bearer(client, create_account(app_db, Role.ADMIN)))
    state = {u["username"]: u["locked"] for u in users.json()}
    assert state[account.username] is True


def test_login_attempts_are_rate_limited_per_address(client: TestClient, app_db: Database) -> None:
    client.app.state.login_limiter.limit = 3  # type: ignore[attr-defined]
    codes = [
        client.post("/api/auth/token", json={"username": "a", "password": "b"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_revoked_token_stops_working_at_once(client: TestClient, app_db: Database) -> None:
    account = create_account(app_db, Role.ANALYST)
    issued = client.post(
        "/api/auth/token", json={"username": account.username, "password": PASSWORD}
    ).json()
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.delete(f"/api/auth/tokens/{issued['id']}", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_users_cannot_revoke_each_others_tokens(client: TestClient, app_db: Database) -> None:
    owner = create_account(app_db, Role.OPERATOR)
    issued = client.post(
        "/api/auth/token", json={"username": owner.username, "password": PASSWORD}
    ).json()
    other = bearer(client, create_account(app_db, Role.OPERATOR))
    assert client.delete(f"/api/auth/tokens/{issued['id']}", headers=other).status_code == 404


def test_device_key_only_ingests(client: TestClient, admin_headers: dict[str, str]) -> None:
    issued = client.post(
        "/api/device-keys",
        headers=admin_headers,
        json={"name": "ambulans-01 tracker", "kind": "tracker"},
    )
    assert issued.status_code == 201
    device = {"Authorization": f"Bearer {issued.json()['key']}"}
    assert client.get("/api/me", headers=device).status_code == 403
    assert client.get("/api/users", headers=device).status_code == 403


def test_partner_must_name_a_known_agency(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    base = {"username": "polisi1", "role": "partner", "password": PASSWORD}
    missing = client.post("/api/users", headers=admin_headers, json=base)
    unknown = client.post("/api/users", headers=admin_headers, json={**base, "agency_code": "x"})
    ok = client.post("/api/users", headers=admin_headers, json={**base, "agency_code": "police"})
    assert missing.status_code == 422 and "agency" in missing.json()["detail"]
    assert unknown.status_code == 422 and "police" in unknown.json()["detail"]
    assert ok.status_code == 201 and ok.json()["agency_code"] == "police"


def test_duplicate_username_is_a_conflict(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"username": "budi", "role": "operator", "password": PASSWORD}
    assert client.post("/api/users", headers=admin_headers, json=body).status_code == 201
    again = client.post("/api/users", headers=admin_headers, json=body)
    assert again.status_code == 409 and "already exists" in again.json()["detail"]


def test_weak_password_is_refused(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"username": "lemah", "role": "operator", "password": "          x"}
    response = client.post("/api/users", headers=admin_headers, json=body)
    assert response.status_code == 422


def test_login_form_sets_a_session_cookie(client: TestClient, app_db: Database) -> None:
    account = create_account(app_db, Role.OPERATOR)
    login_browser_session(client, account)
    page = client.get("/")
    assert page.status_code == 200 and account.username in page.text


def test_login_form_without_csrf_token_is_refused(client: TestClient, app_db: Database) -> None:
    account = create_account(app_db, Role.OPERATOR)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": account.username, "password": account.password, "csrf_token": "x"},
    )
    assert response.status_code == 400
    assert "warroom_session" not in client.cookies


def test_failed_form_login_gives_no_hint(client: TestClient, app_db: Database) -> None:
    import re

    account = create_account(app_db, Role.OPERATOR)
    texts = []
    for username in (account.username, "nobody"):
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        failed = client.post(
            "/login", data={"username": username, "password": "wrong-pass", "csrf_token": token}
        )
        assert failed.status_code == 401
        texts.append(re.search(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', failed.text))
    assert texts[0] and texts[1] and texts[0].group(1) == texts[1].group(1)


def test_cookie_session_needs_csrf_header_for_changes(client: TestClient, app_db: Database) -> None:
    admin = create_account(app_db, Role.ADMIN)
    csrf = login_browser_session(client, admin)
    body = {"username": "baru", "role": "operator", "password": PASSWORD}
    assert client.post("/api/users", json=body).status_code == 403
    assert client.post("/api/users", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_logout_ends_the_session(client: TestClient, app_db: Database) -> None:
    account = create_account(app_db, Role.OPERATOR)
    csrf = login_browser_session(client, account)
    cookie = client.cookies.get("warroom_session")
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("warroom_session", cookie or "")
    assert client.get("/api/me").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_changes_are_audited_with_who_and_where(
    client: TestClient, admin_headers: dict[str, str], app_db: Database
) -> None:
    from sqlalchemy import select

    from warroom.core.audit import AuditEntry

    client.post(
        "/api/users",
        headers=admin_headers,
        json={"username": "audited", "role": "operator", "password": PASSWORD},
    )
    with app_db.read() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user.created")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None
    assert entry.actor.startswith("user:admin") and entry.source == "testclient"
    assert entry.detail["username"] == "audited"
    assert PASSWORD not in str(entry.detail)


def test_admin_adds_an_agency_and_partners_can_join_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"code": "pln", "name": "PLN UP3 Makassar Selatan", "kind": "utility"}
    assert client.post("/api/agencies", headers=admin_headers, json=body).status_code == 201
    again = client.post("/api/agencies", headers=admin_headers, json=body)
    assert again.status_code == 409
    user = {"username": "pln1", "role": "partner", "agency_code": "pln", "password": PASSWORD}
    assert client.post("/api/users", headers=admin_headers, json=user).status_code == 201


def test_admin_password_reset_unlocks_and_replaces(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    account = create_account(app_db, Role.OPERATOR)
    for _ in range(5):
        client.post("/api/auth/token", json={"username": account.username, "password": "bad"})
    new = "a brand new passphrase"
    reset = client.post(
        f"/api/users/{account.id}/password", headers=admin_headers, json={"password": new}
    )
    assert reset.status_code == 204
    old = client.post("/api/auth/token", json={"username": account.username, "password": PASSWORD})
    fresh = client.post("/api/auth/token", json={"username": account.username, "password": new})
    assert old.status_code == 401 and fresh.status_code == 200


def test_partner_agency_filter_never_widens() -> None:
    from warroom.core.security.permissions import Principal, permissions_for

    def principal(role: Role, agency: str | None) -> Principal:
        return Principal(
            kind="user",
            id=1,
            name="x",
            role=role,
            agency_code=agency,
            permissions=permissions_for(role),
            via="token",
        )

    assert principal(Role.PARTNER, "fire").agency_filter() == "fire"
    assert principal(Role.PARTNER, None).agency_filter() == ""  # matches nothing
    assert principal(Role.SUPERVISOR, "fire").agency_filter() is None
