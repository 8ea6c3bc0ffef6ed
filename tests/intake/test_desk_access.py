"""The desk lets in only its tenant's signed-in agents, checked on every request.

The access walk takes every desk route from the app's URL map, so a route added later is
walked too.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.agents.tokens import create_token
from intake.desk.auth import COOKIE
from intake.models import Agent, AgentRole
from intake.state import state
from intake.tickets.loading import ticket_by_reference
from tests.intake.conftest import api_ticket, make_env
from tests.intake.desk import PASSWORD, hidden, make_agent, post_form, sign_in, signed_in, totp_code
from tests.intake.test_desk_work import submit

DESK = ("desk.", "desk_admin.")


def desk_rules(app: Flask) -> list[tuple[str, str, str]]:
    """Return (rule, endpoint, method) of every desk route."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(DESK):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.rule, rule.endpoint, method))
    assert len(found) > 25  # the walk walks the desk, not an empty list
    return found


def fill(rule: str, values: dict[str, str]) -> str:
    """Put values into a rule's variables (<int:x>, <x>)."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "1"), rule)


def csrf(client: FlaskClient) -> str:
    """Return a CSRF token valid for this client (from the sign-in page)."""
    return hidden(client.get("/desk/eur/login").get_data(as_text=True))


def request(client: FlaskClient, method: str, url: str) -> Any:
    """Send one request; a live stream's answer is its status and headers (its body never ends)."""
    data = {"csrf_token": csrf(client)} if method == "POST" else None
    answer = client.open(
        url, method=method, data=data, buffered=False,
        headers={"X-CSRFToken": data["csrf_token"]} if data else {},
    )  # fmt: skip
    if answer.mimetype == "text/event-stream":
        answer.close()
        answer.set_data(b"")
    return answer


@pytest.fixture
def other_tenant(app: Flask) -> dict[str, str]:
    """Create tenant km's secrets to look for: a ticket, an agent; return their names and ids."""
    created = api_ticket(app.test_client(), tenant="km", subject="Kestrel secret subject")
    agent_id = make_agent(app, "spy-target@example.org", tenant="km", role=AgentRole.admin)
    return {"reference": created["ticket"]["reference"], "agent_id": str(agent_id),
            "subject": "Kestrel secret subject", "email": "spy-target@example.org"}  # fmt: skip


def test_no_desk_route_answers_without_a_session(app: Flask, other_tenant: dict[str, str]) -> None:
    client = app.test_client()
    values = {"tenant": "eur", "reference": other_tenant["reference"]}
    for rule, endpoint, method in desk_rules(app):
        answer = request(client, method, fill(rule, values))
        if endpoint == "desk.login":
            assert answer.status_code in (200, 400), rule
            continue
        assert answer.status_code in (303, 401), (rule, method, answer.status_code)
        if answer.status_code == 303:
            assert answer.headers["Location"].startswith("/desk/eur/login"), rule


def test_another_tenants_session_opens_nothing(app: Flask, other_tenant: dict[str, str]) -> None:
    spy = signed_in(app, "spy@example.org", role=AgentRole.admin, tenant="km")
    stolen = spy.get_cookie(COOKIE, path="/desk/km/")
    assert stolen is not None
    spy.set_cookie(COOKIE, stolen.value, path="/desk/eur/")  # the km session, offered to eur
    values = {"tenant": "eur", "reference": other_tenant["reference"]}
    for rule, endpoint, method in desk_rules(app):
        if endpoint == "desk.login":
            continue
        answer = request(spy, method, fill(rule, values))
        assert answer.status_code in (303, 401), (rule, method, answer.status_code)


def test_an_admin_sees_nothing_of_another_tenant(app: Flask, other_tenant: dict[str, str]) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    values = {"tenant": "eur", "reference": other_tenant["reference"],
              "agent_id": other_tenant["agent_id"], "ticket_id": "1"}  # fmt: skip
    for rule, endpoint, method in desk_rules(app):
        if endpoint == "desk.logout":
            continue  # signs out: walked in a test of its own
        answer = request(admin, method, fill(rule, values))
        body = answer.get_data(as_text=True)
        assert other_tenant["subject"] not in body and other_tenant["email"] not in body, rule
        assert answer.status_code in (200, 204, 303, 400, 404), (rule, method, answer.status_code)
        if "<reference>" in rule or "<int:agent_id>" in rule:
            assert answer.status_code in (303, 400, 404), (rule, method, answer.status_code)


def test_admin_pages_do_not_exist_for_agents(app: Flask) -> None:
    agent = signed_in(app, "plain@example.com")
    for rule, endpoint, method in desk_rules(app):
        if endpoint.startswith("desk_admin."):
            assert request(agent, method, fill(rule, {"tenant": "eur"})).status_code == 404, rule


def test_the_session_cookie_is_httponly_samesite_and_scoped(app: Flask) -> None:
    make_agent(app, "ana@example.com")
    answer = sign_in(app.test_client(), "ana@example.com")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/desk/eur/" in cookie and "Secure" not in cookie  # PUBLIC_URL is http here


def test_secure_cookies_over_https(make_app: Any) -> None:
    app = make_app(PUBLIC_URL="https://desk.example")
    make_agent(app, "ana@example.com")
    assert "Secure" in sign_in(app.test_client(), "ana@example.com").headers["Set-Cookie"]


def test_a_new_session_at_every_sign_in_and_signing_out_ends_it(app: Flask) -> None:
    make_agent(app, "ana@example.com")
    first, second = app.test_client(), app.test_client()
    sign_in(first, "ana@example.com")
    sign_in(second, "ana@example.com")
    a, b = first.get_cookie(COOKIE, path="/desk/eur/"), second.get_cookie(COOKIE, path="/desk/eur/")
    assert a is not None and b is not None and a.value != b.value
    out = post_form(first, "/desk/eur/", "/desk/eur/logout")
    assert out.status_code == 303
    replay = app.test_client()
    replay.set_cookie(COOKIE, a.value, path="/desk/eur/")  # the old cookie, kept by someone
    ended = replay.get("/desk/eur/")
    assert ended.status_code == 303 and "ended=1" in ended.headers["Location"]
    said = replay.get(ended.headers["Location"]).get_data(as_text=True)
    assert "Your session ended" in said  # not a bare form where the page was
    fresh = app.test_client().get("/desk/eur/")  # never signed in: nothing ended
    assert "ended=1" not in fresh.headers["Location"]
    assert second.get("/desk/eur/").status_code == 200  # the other browser stays signed in


def test_signing_out_from_a_page_whose_form_token_is_gone_still_ends_the_session(
    app: Flask,
) -> None:
    make_agent(app, "ana@example.com")
    client = app.test_client()
    sign_in(client, "ana@example.com")
    cookie = client.get_cookie(COOKIE, path="/desk/eur/")
    assert cookie is not None
    with client.session_transaction() as browser:  # a tab restored after a restart
        browser.clear()
    out = client.post("/desk/eur/logout", data={"csrf_token": "from-before"})
    assert out.status_code == 303 and out.headers["Location"] == "/desk/eur/login"
    replay = app.test_client()
    replay.set_cookie(COOKIE, cookie.value, path="/desk/eur/")
    assert replay.get("/desk/eur/").status_code == 303


def test_a_form_open_longer_than_a_working_day_still_sends(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(app, "ana@example.com")
    page = client.get("/desk/eur/account").get_data(as_text=True)
    later = time.time() + 11 * 3600  # the desk's session lasts 12 hours
    monkeypatch.setattr(time, "time", lambda: later)
    sent = client.post("/desk/eur/account/tokens", data={"csrf_token": hidden(page),
                                                         "name": "Nightly export"})  # fmt: skip
    assert sent.status_code == 201, sent.get_data(as_text=True)


@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("/desk/eur/dashboard", "/desk/eur/dashboard"),
        ("https://evil.example/desk/eur/", "/desk/eur/"),
        ("//evil.example/desk/eur/", "/desk/eur/"),
        ("/desk/km/", "/desk/eur/"),
        ("/desk/eur/\r\nSet-Cookie: x=1", "/desk/eur/"),  # a header of the answer's own
        ("/desk/eur/\x00", "/desk/eur/"),
        ("/desk/eur/caf\u00e9", "/desk/eur/"),
        ("/desk/eur/../../evil", "/desk/eur/"),  # the browser resolves it to /evil
        ("/desk/eur/%2e%2e/%2E%2E/evil", "/desk/eur/"),
        ("/desk/eur/..\\..\\evil", "/desk/eur/"),  # a backslash is a slash to a browser
        ("/desk/eur/tickets/EUR-10001?tab=notes", "/desk/eur/tickets/EUR-10001?tab=notes"),
    ],
)
def test_sign_in_goes_on_only_to_a_page_of_the_tenants_desk(
    app: Flask, asked: str, lands: str
) -> None:
    make_agent(app, "ana@example.com")
    client = app.test_client()
    answer = post_form(client, "/desk/eur/login", "/desk/eur/login",
                       email="ana@example.com", password=PASSWORD, next=asked)  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["Location"] == lands
    assert "Set-Cookie: x" not in str(answer.headers)


def test_wrong_passwords_lock_the_account_out_saying_for_how_long(app: Flask) -> None:
    make_agent(app, "ana@example.com")
    client = app.test_client()
    for _ in range(5):
        answer = sign_in(client, "ana@example.com", password="wrong wrong wrong")
        assert answer.status_code == 400
        assert "The email or the password is wrong." in answer.get_data(as_text=True)
    locked = sign_in(client, "ana@example.com")  # even the right password now
    assert locked.status_code == 429
    assert re.search(r"Try again in 1[45] minutes\.", locked.get_data(as_text=True))
    unknown = sign_in(client, "nobody@example.com", password="wrong wrong wrong")
    assert "The email or the password is wrong." in unknown.get_data(as_text=True)  # alike


def test_a_stranger_locks_the_account_out_only_where_the_stranger_is(app: Flask) -> None:
    make_agent(app, "ana@example.com")
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(6):
        sign_in(stranger, "ana@example.com", password="wrong wrong wrong")
    assert sign_in(stranger, "ana@example.com").status_code == 429
    assert sign_in(app.test_client(), "ana@example.com").status_code == 303  # from the office


def test_addresses_of_one_ipv6_network_count_as_one(app: Flask) -> None:
    """One machine holds a whole /64: its 10 addresses x 5 guesses must not count as ten
    strangers and lock the agent out everywhere."""
    make_agent(app, "ana@example.com")
    for number in range(10):
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"2001:db8::{number + 1}"
        for _ in range(5):
            sign_in(guesser, "ana@example.com", password="wrong wrong wrong")
    assert sign_in(guesser, "ana@example.com").status_code == 429
    assert sign_in(app.test_client(), "ana@example.com").status_code == 303  # from the office


def test_guesses_spread_over_many_addresses_lock_the_account_everywhere(app: Flask) -> None:
    make_agent(app, "ana@example.com")
    for number in range(10):  # 10 addresses x 5: each under its own limits
        guesser = app.test_client()
        guesser.environ_base["REMOTE_ADDR"] = f"203.0.113.{number + 1}"
        for _ in range(5):
            answer = sign_in(guesser, "ana@example.com", password="wrong wrong wrong")
            assert answer.status_code == 400
    assert sign_in(app.test_client(), "ana@example.com").status_code == 429


def test_one_address_trying_many_accounts_is_locked_out(app: Flask) -> None:
    client = app.test_client()
    for number in range(20):
        sign_in(client, f"guess{number}@example.com", password="wrong wrong wrong")
    make_agent(app, "ana@example.com")
    assert sign_in(client, "ana@example.com").status_code == 429
    assert (
        sign_in(
            app.test_client(),
            "ana@example.com",
        ).status_code
        == 429
    )  # same address here


def _enable_two_factor(client: FlaskClient) -> tuple[str, list[str]]:
    page = client.get("/desk/eur/account/two-factor").get_data(as_text=True)
    secret = re.search(r"Key: <code>([A-Z2-7]+)</code>", page)
    assert secret
    code = totp_code(secret.group(1))
    done = client.post("/desk/eur/account/two-factor",
                       data={"csrf_token": hidden(page), "code": code})  # fmt: skip
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    return secret.group(1), codes


def test_two_factor_sign_in_with_the_app_or_a_recovery_code_once(app: Flask) -> None:
    client = signed_in(app, "ana@example.com")
    secret, codes = _enable_two_factor(client)
    fresh = app.test_client()
    step = sign_in(fresh, "ana@example.com")
    assert step.headers["Location"] == "/desk/eur/login/code"
    assert fresh.get("/desk/eur/").headers["Location"] == "/desk/eur/login/code"  # not yet in
    wrong = post_form(fresh, "/desk/eur/login/code", "/desk/eur/login/code", code="000000")
    assert wrong.status_code == 400 and "That code is not right" in wrong.get_data(as_text=True)
    # The code that turned the app on is spent; the next one (a clock a little ahead) is not.
    spent = post_form(fresh, "/desk/eur/login/code", "/desk/eur/login/code", code=totp_code(secret))
    assert spent.status_code == 400 and "used already" in spent.get_data(as_text=True)
    code = totp_code(secret, ahead=1)
    right = post_form(fresh, "/desk/eur/login/code", "/desk/eur/login/code", code=code)
    assert right.status_code == 303 and fresh.get("/desk/eur/").status_code == 200
    again = app.test_client()  # the same code in another browser: seen over a shoulder
    sign_in(again, "ana@example.com")
    reused = post_form(again, "/desk/eur/login/code", "/desk/eur/login/code", code=code)
    assert reused.status_code == 400 and "That code was used already" in reused.get_data(
        as_text=True)  # fmt: skip
    assert again.get("/desk/eur/").headers["Location"] == "/desk/eur/login/code"
    for attempt in (1, 2):  # a recovery code works once
        other = app.test_client()
        sign_in(other, "ana@example.com")
        used = post_form(other, "/desk/eur/login/code", "/desk/eur/login/code", code=codes[0])
        assert used.status_code == (303 if attempt == 1 else 400)
    assert "That recovery code was used already: each works once." in used.get_data(as_text=True)


def test_the_page_asked_for_comes_after_the_second_step(app: Flask) -> None:
    secret, _codes = _enable_two_factor(signed_in(app, "ana@example.com"))
    fresh = app.test_client()
    step = post_form(fresh, "/desk/eur/login", "/desk/eur/login", email="ana@example.com",
                     password=PASSWORD, next="/desk/eur/dashboard")  # fmt: skip
    code_page = step.headers["Location"]
    right = post_form(fresh, code_page, code_page, code=totp_code(secret, ahead=1))
    assert right.status_code == 303 and right.headers["Location"] == "/desk/eur/dashboard"


def test_replacing_the_app_asks_for_the_password_and_signs_other_browsers_out(
    app: Flask,
) -> None:
    client = signed_in(app, "ana@example.com")
    secret, _codes = _enable_two_factor(client)
    other = app.test_client()
    sign_in(other, "ana@example.com")
    post_form(other, "/desk/eur/login/code", "/desk/eur/login/code",
              code=totp_code(secret, ahead=1))  # fmt: skip
    assert other.get("/desk/eur/").status_code == 200
    url = "/desk/eur/account/two-factor"
    page = client.get(url).get_data(as_text=True)
    assert 'name="password"' in page  # asked only when an app is in use
    new = re.search(r"Key: <code>([A-Z2-7]+)</code>", page)
    assert new
    for typed in ("", "not-my-password"):
        refused = post_form(client, url, url, code=totp_code(new.group(1)), password=typed)
        assert refused.status_code == 400, typed
        assert "That is not your current password." in refused.get_data(as_text=True)
    done = post_form(client, url, url, code=totp_code(new.group(1)), password=PASSWORD)
    assert done.status_code == 200 and "recovery" in done.get_data(as_text=True).lower()
    assert client.get("/desk/eur/").status_code == 200  # this browser stays in
    assert other.get("/desk/eur/").status_code == 303  # the other is out


def test_turning_the_app_on_signs_other_browsers_out(app: Flask) -> None:
    client = signed_in(app, "ana@example.com")
    other = app.test_client()  # a browser signed in with the password alone: a thief's, say
    sign_in(other, "ana@example.com")
    assert other.get("/desk/eur/").status_code == 200
    _enable_two_factor(client)
    assert client.get("/desk/eur/").status_code == 200
    assert other.get("/desk/eur/").status_code == 303


def test_a_key_being_set_up_in_another_agents_session_is_not_offered(app: Flask) -> None:
    planter = signed_in(app, "bob@example.com")
    page = planter.get("/desk/eur/account/two-factor").get_data(as_text=True)
    planted = re.search(r"Key: <code>([A-Z2-7]+)</code>", page)
    assert planted
    with planter.session_transaction() as cookie:  # the session cookie bob would plant
        pending = dict(cookie)["desk_totp_pending"]
    victim = signed_in(app, "ana@example.com")
    with victim.session_transaction() as cookie:
        cookie["desk_totp_pending"] = pending
    offered = victim.get("/desk/eur/account/two-factor").get_data(as_text=True)
    assert "Key: <code>" in offered and planted.group(1) not in offered
    again = victim.get("/desk/eur/account/two-factor").get_data(as_text=True)
    assert re.findall(r"Key: <code>([A-Z2-7]+)</code>", offered) == re.findall(
        r"Key: <code>([A-Z2-7]+)</code>", again
    )  # the agent's own key stays while they set it up


def test_a_tenant_can_require_two_factor_of_every_agent(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    agent = signed_in(app, "ana@example.com")
    assert agent.get("/desk/eur/").status_code == 200
    with state(app).db.write("eur") as session:  # a token made before the requirement
        ana = session.get_one(Agent, _agent_id(app, "ana@example.com"))
        _row, token = create_token(session, ana, "script")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/eur/desk/tickets", headers=bearer).status_code == 200
    saved = submit(admin, "/desk/eur/admin/settings", require_two_factor="y")  # the page as is
    assert saved.status_code == 303
    sent_to = agent.get("/desk/eur/")  # the very next request
    assert sent_to.headers["Location"] == "/desk/eur/account/two-factor"
    refused = api.get("/api/v1/eur/desk/tickets", headers=bearer)
    assert refused.status_code == 403
    assert "requires an authenticator app" in refused.get_json()["error"]["message"]
    _enable_two_factor(agent)
    assert agent.get("/desk/eur/").status_code == 200
    assert api.get("/api/v1/eur/desk/tickets", headers=bearer).status_code == 200


def test_deactivation_and_role_changes_take_effect_at_once(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    other_admin = signed_in(app, "deputy@example.com", role=AgentRole.admin)
    ana_id = make_agent(app, "ana@example.com")
    ana = app.test_client()
    sign_in(ana, "ana@example.com")
    assert ana.get("/desk/eur/").status_code == 200
    form = {"name": "Ana", "email": "ana@example.com", "role": "agent", "password": ""}
    post_form(admin, f"/desk/eur/admin/agents/{ana_id}", f"/desk/eur/admin/agents/{ana_id}", **form)
    assert ana.get("/desk/eur/").status_code == 303  # deactivated (no `active`): out at once
    assert sign_in(ana, "ana@example.com").status_code == 400
    assert other_admin.get("/desk/eur/admin/agents").status_code == 200
    deputy_id = str(_agent_id(app, "deputy@example.com"))
    demote = {"name": "Deputy", "email": "deputy@example.com", "role": "agent", "active": "y"}
    post_form(admin, f"/desk/eur/admin/agents/{deputy_id}", f"/desk/eur/admin/agents/{deputy_id}",
              **demote)  # fmt: skip
    assert other_admin.get("/desk/eur/admin/agents").status_code == 404  # no longer an admin
    assert other_admin.get("/desk/eur/").status_code == 200


def _agent_id(app: Flask, email: str) -> int:
    from sqlalchemy import select

    from intake.models import Agent

    with state(app).db.read("eur") as session:
        return int(session.scalars(select(Agent.id).where(Agent.email == email)).one())


def test_the_last_admin_cannot_be_demoted(app: Flask) -> None:
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    me = _agent_id(app, "boss@example.com")
    form = {"name": "Boss", "email": "boss@example.com", "role": "agent", "active": "y"}
    answer = post_form(
        admin, f"/desk/eur/admin/agents/{me}", f"/desk/eur/admin/agents/{me}", **form
    )
    assert answer.status_code == 400 and "last active admin" in answer.get_data(as_text=True)


def test_an_open_stream_ends_when_its_agent_is_deactivated(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("intake.web.sse.HEARTBEAT", 0.1)
    admin = signed_in(app, "boss@example.com", role=AgentRole.admin)
    ana_id = make_agent(app, "ana@example.com")
    ana = app.test_client()
    sign_in(ana, "ana@example.com")
    stream = ana.get("/desk/eur/stream", buffered=False)
    frames = stream.iter_encoded()
    assert next(frames).startswith(b"retry:") and next(frames) == b": heartbeat\n\n"
    form = {"name": "Ana", "email": "ana@example.com", "role": "agent", "password": ""}
    post_form(admin, f"/desk/eur/admin/agents/{ana_id}", f"/desk/eur/admin/agents/{ana_id}", **form)
    assert next(frames) == b"event: signed-out\ndata: {}\n\n"
    assert list(frames) == []
    stream.close()


def test_agents_create_makes_the_first_admin(app: Flask, kb_root: Path, tmp_path: Path) -> None:
    url = state(app).config.database_url
    env = {**make_env(kb_root, url, tmp_path / "uploads"), "PATH": "/usr/bin:/bin"}
    args = ["agents", "create", "--tenant", "eur", "--email", "First@Example.com", "--name",
            "First", "--password", PASSWORD]  # fmt: skip
    entry = [sys.executable, "-c", "from intake.command import main; main()"]
    made = subprocess.run([*entry, *args], env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    said = "eur: admin first@example.com created; sign in at http://desk.test/desk/eur/login"
    assert said in made.stdout
    assert sign_in(app.test_client(), "first@example.com").status_code == 303
    unset = {key: value for key, value in env.items() if key != "PUBLIC_URL"}
    second = [*args[:5], "third@example.com", *args[6:]]
    made = subprocess.run([*entry, *second], env=unset, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert ("sign in at /desk/eur/login of the address `intake serve` prints (PUBLIC_URL is not"
            " set)") in made.stdout  # not a made-up http://127.0.0.1:8000  # fmt: skip
    bad = [*args[:5], "not-an-address", *args[6:-1], "short"]
    refused = subprocess.run([*entry, *bad], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and refused.stderr.startswith("intake: email: ")
    runner = app.test_cli_runner()
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in str(again.exception)
    weak = runner.invoke(args=[*args[:5], "second@example.com", *args[6:-1], "short"])
    assert weak.exit_code != 0 and "at least 12 characters" in str(weak.exception)
    for repeated in (" " * 12, "a" * 20, "abab" * 5):
        weak = runner.invoke(args=[*args[:5], "second@example.com", *args[6:-1], repeated])
        assert weak.exit_code != 0 and "5 different characters" in str(weak.exception), repeated
    elsewhere = runner.invoke(args=[*args[:3], "nowhere", *args[4:]])
    assert elsewhere.exit_code != 0 and "--tenant: 'nowhere'" in str(elsewhere.exception)


def test_an_admin_locked_out_is_let_in_again_from_the_command_line(app: Flask) -> None:
    """The only admin lost their authenticator and their password: `intake agents reset`."""
    boss = signed_in(app, "boss@example.com", role=AgentRole.admin)
    _enable_two_factor(boss)
    kim = make_agent(app, "kim@example.com", "Kim")
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["agents", "list", "--tenant", "eur"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "boss@example.com\tadmin\tactive\ttwo-factor on\tBoss",
        "kim@example.com\tagent\tactive\ttwo-factor off\tKim",
    ]
    new = "a brand new passphrase"
    reset = runner.invoke(args=["agents", "reset", "--tenant", "eur", "--email",
                                "Boss@Example.com", "--password", new])  # fmt: skip
    assert reset.exit_code == 0, reset.output
    assert "eur: boss@example.com signs in with the new password" in reset.output
    assert "two-factor sign-in is off until they set it up again" in reset.output
    assert boss.get("/desk/eur/").status_code in (302, 303)  # the old session ended
    client = app.test_client()
    assert sign_in(client, "boss@example.com", password=PASSWORD).status_code == 400
    entered = sign_in(client, "boss@example.com", password=new)
    assert entered.status_code == 303 and entered.headers["Location"] == "/desk/eur/"
    assert client.get("/desk/eur/").status_code == 200  # in, without the lost second factor
    last = runner.invoke(args=["agents", "deactivate", "--tenant", "eur", "--email",
                               "boss@example.com"])  # fmt: skip
    assert last.exit_code == 1 and "last active admin" in str(last.exception)
    ref = api_ticket(app.test_client())["ticket"]["reference"]
    with state(app).db.write("eur") as session:
        ticket_by_reference(session, ref).assigned_agent_id = kim
    gone = runner.invoke(args=["agents", "deactivate", "--tenant", "eur", "--email",
                               "kim@example.com"])  # fmt: skip
    assert gone.exit_code == 0
    assert "eur: kim@example.com deactivated; 1 unfinished ticket(s) went back" in gone.output
    nobody = runner.invoke(args=["agents", "reset", "--tenant", "eur", "--email",
                                 "nobody@example.com", "--password", new])  # fmt: skip
    assert "No account of this tenant has the address nobody@example.com." in str(nobody.exception)
