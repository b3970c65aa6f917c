"""`newsdigest run slack` as a separate process, in HTTP mode: signed slash commands over real HTTP,
the Web API and the response_url on a local server. The seed article is stored once for the module as
the Slack workspace's own (an article `newsdigest ingest` stores is the terminal's, which no workspace
sees)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.service import DigestService
from bot.store import Store
from bot.store import articles as article_store
from tests.conftest import stop
from tests.fakes.slack_server import (
    TEAM_ID,
    assert_within_slack_limits,
    signed_headers,
    slack_api,  # noqa: F401 - a fixture
    slash_body,
    texts,
)
from tests.helpers.cli import SEED
from tests.helpers.slack_process import SECRET, environment, free_port, post, run_cli, start_slack, wait_for_port

pytestmark = pytest.mark.slow  # every test here starts a subprocess


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, engine) -> Path:
    data_dir = tmp_path_factory.mktemp("slack-run") / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)
    store = Store.open(settings)
    try:
        seed = DigestService(settings, engine=engine).digest_source(str(SEED))
        assert article_store.save_digest(store, seed, tenant=f"slack:{TEAM_ID}").status == "created"
    finally:
        store.close()
    return data_dir


def test_run_slack_in_http_mode_answers_a_signed_who_said(seeded, slack_api):  # noqa: F811
    port = free_port()
    env = environment(seeded, slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_port=str(port),
                      slack_api_url=slack_api.api_url)
    process = start_slack(env)
    try:
        wait_for_port(port, process)
        # the token was checked against the local Web API before the port opened
        [auth] = slack_api.calls("auth.test")
        assert auth.headers["authorization"] == "Bearer xoxb-test"

        body = slash_body("/who-said", '"go to choice for coders"', slack_api.response_url())
        status, answer = post(port, body, signed_headers(body, SECRET))
        assert status == 200 and answer == b""
        slack_api.wait(lambda calls: any(c.path.startswith("/response/") for c in calls))
        [response] = slack_api.responses()
        message = json.loads(response.body)
        assert_within_slack_limits(message)
        assert message["response_type"] == "ephemeral"
        text = "\n".join(texts(message))
        assert "*Said by*\nChristopher Nulty, spokesperson, Anthropic" in text

        # over real HTTP too: a bad signature and a stale timestamp are refused, and nothing is answered
        status, _ = post(port, body, {**signed_headers(body, SECRET), "x-slack-signature": "v0=" + "1" * 64})
        assert status == 401
        status, _ = post(port, body, signed_headers(body, SECRET, timestamp=int(time.time()) - 600))
        assert status == 401
        assert len(slack_api.responses()) == 1
    finally:
        stop(process)
    stderr = process.stderr.read().decode()
    assert process.returncode == 0, stderr  # SIGTERM is a clean stop
    assert "Traceback" not in stderr
    assert f"Slack in HTTP mode on port {port}" in process.stdout.read().decode()


@pytest.mark.parametrize(("settings", "missing"), [
    ({}, ["NEWSDIGEST_SLACK_BOT_TOKEN", "NEWSDIGEST_SLACK_CLIENT_ID", "NEWSDIGEST_SLACK_SIGNING_SECRET"]),
    ({"slack_bot_token": "xoxb-1"}, ["NEWSDIGEST_SLACK_SIGNING_SECRET"]),
    ({"slack_client_id": "1.2", "slack_signing_secret": "s"}, ["NEWSDIGEST_SLACK_CLIENT_SECRET"]),
    ({"slack_app_token": "xapp-1"}, ["NEWSDIGEST_SLACK_BOT_TOKEN"]),
])
def test_missing_settings_end_with_one_line_naming_them(tmp_path, settings, missing):
    result = run_cli("run", "slack", env=environment(tmp_path / "data", **settings), timeout=60)
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("newsdigest: ")
    for name in missing:
        assert name in lines[0]
    assert 'see "Connecting Slack" in the README' in lines[0]
    assert result.stdout == b""


def test_a_refused_bot_token_ends_with_one_line(tmp_path, slack_api):  # noqa: F811
    slack_api.fail("auth.test", error="invalid_auth")
    env = environment(tmp_path / "data", slack_bot_token="xoxb-revoked", slack_signing_secret="s",
                      slack_port=str(free_port()), slack_api_url=slack_api.api_url)
    result = run_cli("run", "slack", env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode().strip() == ("newsdigest: Slack refused the bot token (invalid_auth): "
                                              "check NEWSDIGEST_SLACK_BOT_TOKEN")


def test_a_port_in_use_ends_with_one_line(tmp_path, slack_api):  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(tmp_path / "data", slack_bot_token="xoxb-test", slack_signing_secret="s",
                          slack_port=str(port), slack_api_url=slack_api.api_url)
        result = run_cli("run", "slack", env=env, timeout=60)
    assert result.returncode == 1
    line = result.stderr.decode().strip()
    assert line.startswith(f"newsdigest: cannot listen on port {port}") and "NEWSDIGEST_SLACK_PORT" in line
    assert "\n" not in line


def test_socket_mode_with_a_refused_app_token_ends_with_one_line(tmp_path, slack_api):  # noqa: F811
    # apps.connections.open answers invalid_auth on the local server (FakeSlack's default)
    env = environment(tmp_path / "data", slack_bot_token="xoxb-test", slack_app_token="xapp-bad",
                      slack_api_url=slack_api.api_url)
    result = run_cli("run", "slack", env=env, timeout=60)
    assert result.returncode == 1, result.stderr.decode()
    assert result.stderr.decode().strip() == ("newsdigest: Slack refused the app-level token (invalid_auth): "
                                              "check NEWSDIGEST_SLACK_APP_TOKEN (xapp-…, scope connections:write)")
    [opened] = slack_api.calls("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-bad"

