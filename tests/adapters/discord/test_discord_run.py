"""`newsdigest run discord`: start-up, the gateway and shut-down, against the local server that answers
like Discord's REST API and gateway (tests/fakes/discord_server.py).

The command runs as a person runs it (the installed console script, a separate process) for the
start-up failures and for one whole session: login, command sync, IDENTIFY, an interaction that
arrives over the gateway and is answered, SIGTERM. The platform also runs in-process, through the
runner's `serve_platform`, to see the digest poster registered for the scheduler while the bot is
connected."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import discord
import pytest
from discord.gateway import DiscordWebSocket

from adapters.discord.client import NewsdigestClient, StartupError
from adapters.discord.main import DiscordPlatform, configured
from adapters.discord.poster import DiscordPoster
from adapters.discord.settings import DiscordSettings
from adapters.runner import serve_platform
from bot.app import Newsdigest
from bot.config import Settings
from bot.platforms import DigestPost
from bot.service import DigestService
from bot.store import Store
from bot.store import articles as article_store
from tests.fakes.discord_server import (
    APP_ID,
    CHANNEL_ID,
    GUILD_ID,
    PRIVILEGED_INTENT_BITS,
    fake,  # noqa: F401 - the module's local Discord
    interaction,
    message_problems,
    option,
)
from tests.helpers.output import Lines

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt"
CLI = Path(sys.executable).parent / "newsdigest"


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory, engine) -> Path:
    data = tmp_path_factory.mktemp("discord-run") / "data"
    settings = Settings(_env_file=None, data_dir=data)
    store = Store.open(settings)
    try:
        digest = DigestService(settings, engine=engine).digest_source(str(SEED))
        article_store.save_digest(store, digest, tenant=f"discord:{GUILD_ID}")  # brought by the server the session runs in
    finally:
        store.close()
    return data


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "FORCE_COLOR"))}
    env.update(NO_COLOR="1", NEWSDIGEST_DATA_DIR=str(data_dir), **{f"NEWSDIGEST_{k.upper()}": v for k, v in settings.items()})
    return env


def run_cli(tmp_path: Path, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    assert CLI.exists(), f"the console script is not installed at {CLI}"
    return subprocess.run([str(CLI), "run", "discord"], env=env, cwd=tmp_path, capture_output=True, timeout=timeout)


def one_line(result: subprocess.CompletedProcess) -> str:
    err = result.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.slow
def test_without_a_token_it_exits_1_with_one_line(tmp_path):
    result = run_cli(tmp_path, environment(tmp_path / "data"))
    assert result.returncode == 1
    assert one_line(result).startswith("newsdigest: no Discord bot token: set NEWSDIGEST_DISCORD_TOKEN")
    assert result.stdout == b""


@pytest.mark.slow
def test_a_token_discord_refuses_exits_1_with_one_line(tmp_path, fake):
    fake.reset()
    fake.script("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    result = run_cli(tmp_path, environment(tmp_path / "data", discord_token="wrong", discord_api_url=fake.api_url))
    assert result.returncode == 1
    assert one_line(result).startswith("newsdigest: Discord refused the bot token (401 Unauthorized)")
    assert [r.headers["authorization"] for r in fake.recorded("GET", "/users/@me")] == ["Bot wrong"]


@pytest.mark.slow
def test_a_bot_missing_from_the_server_exits_1_naming_the_invite(tmp_path, fake):
    fake.reset()
    fake.script("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands", 403, {"message": "Missing Access", "code": 50001})
    result = run_cli(tmp_path, environment(tmp_path / "data", discord_token="t", discord_api_url=fake.api_url,
                                           discord_guild_id=GUILD_ID))
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith(f"newsdigest: Discord refused to register the commands in server {GUILD_ID} (403 Missing Access)")
    assert "applications.commands scope" in line


@pytest.mark.slow
def test_a_whole_session_over_the_gateway(tmp_path, fake, seeded_dir):
    fake.reset()
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    env = environment(data, discord_token="secret-token", discord_api_url=fake.api_url,
                      discord_gateway_url=fake.gateway_url, discord_guild_id=GUILD_ID)
    process = subprocess.Popen([str(CLI), "run", "discord"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    errors = Lines(process.stderr)
    try:
        (sync,) = fake.wait_for("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
        assert {c["name"] for c in sync.body} == {"digest", "dispute", "who-said", "quotes", "newsdigest", "Digest this link"}
        deadline = time.monotonic() + 30
        while not [m for m in fake.gateway_received if m.get("op") == 2] and time.monotonic() < deadline:
            time.sleep(0.02)
        (identify,) = [m for m in fake.gateway_received if m.get("op") == 2]
        assert identify["d"]["token"] == "secret-token"
        assert identify["d"]["intents"] & PRIVILEGED_INTENT_BITS == 0  # no privileged intent asked for
        errors.wait_for("newsdigest: discord: connected as")  # READY handled: the client said so
        fake.push("INTERACTION_CREATE", interaction("who-said", [option("fragment", "go to choice for coders")]))
        (answer,) = fake.wait_for("POST", r"/interactions/\d+/[^/]+/callback")
        assert answer.body["type"] == 4 and answer.body["data"]["flags"] == 64
        assert message_problems(answer.body["data"]) == []
        said_by = [f["value"] for e in answer.body["data"]["embeds"] for f in e.get("fields", []) if f["name"] == "Said by"]
        assert said_by == ["Christopher Nulty, spokesperson, Anthropic"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    stderr = errors.text()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert f"newsdigest: discord: 5 commands synced to server {GUILD_ID} (usable now): /digest, /dispute, /who-said, /quotes, /newsdigest; message menu “Digest this link”" in stderr
    assert stderr.rstrip().endswith("newsdigest: discord: stopped")


async def test_serve_registers_the_poster_while_connected(tmp_path, fake, seeded_dir, digest_factory):
    fake.reset()
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    app = Newsdigest(Settings(_env_file=None, data_dir=data))
    discord_settings = DiscordSettings(_env_file=None, token="t", api_url=fake.api_url, gateway_url=fake.gateway_url)
    lines: list[str] = []
    client = NewsdigestClient(app, announce=lines.append, guild_ready_timeout=0.1)
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    task = asyncio.create_task(serve_platform(app, DiscordPlatform(discord_settings, client=client), asyncio.Event()))
    try:
        deadline = time.monotonic() + 20
        while len(lines) < 2 and time.monotonic() < deadline:
            assert not task.done(), task.result()
            await asyncio.sleep(0.02)
        assert fake.recorded("PUT", rf"/applications/{APP_ID}/commands")  # no guild: synced globally
        assert lines[0].startswith("5 commands synced globally (Discord can take up to an hour")
        assert lines[1] == "connected as newsdigest in 0 server(s); no privileged intents needed"
        poster = app.posters.get("discord")
        assert isinstance(poster, DiscordPoster) and poster.client is client
        result = await poster.post_digest(CHANNEL_ID, DigestPost(title="Digest", idempotency_key="k",
                                                                 digests=[digest_factory([("It works", "Ada")])]))
        assert result.status == "posted"
    finally:
        await client.close()  # serve() returns when its client is closed
        await asyncio.wait_for(task, 10)
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        app.close()
    assert app.posters.get("discord") is None


async def test_serve_is_cancellable_and_reports_start_failures(tmp_path, fake):
    """As `newsdigest run` hosts it beside other platforms: a start that cannot succeed raises
    StartupError with its line; a running bot stops when its task is cancelled."""
    fake.reset()
    assert not configured(DiscordSettings(_env_file=None))
    assert DiscordPlatform(DiscordSettings(_env_file=None)).settings_problem().startswith("no Discord bot token")
    settings = DiscordSettings(_env_file=None, token="t", api_url=fake.api_url, gateway_url=fake.gateway_url)
    assert configured(settings) and DiscordPlatform(settings).settings_problem() is None
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path))

    def platform() -> DiscordPlatform:
        return DiscordPlatform(settings, client=NewsdigestClient(app, announce=lambda line: None))

    try:
        fake.script("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0}, times=1)
        with pytest.raises(StartupError, match=r"Discord refused the bot token \(401 Unauthorized\)"):
            await serve_platform(app, platform(), asyncio.Event())
        assert app.posters.get("discord") is None
        task = asyncio.create_task(serve_platform(app, platform(), asyncio.Event()))
        deadline = time.monotonic() + 20
        while not [m for m in fake.gateway_received if m.get("op") == 2] and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert isinstance(app.posters.get("discord"), DiscordPoster)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        assert app.posters.get("discord") is None
        stop = asyncio.Event()  # and as the runner stops it: its stop event set once connected
        identified = len([m for m in fake.gateway_received if m.get("op") == 2])
        task = asyncio.create_task(serve_platform(app, platform(), stop))
        deadline = time.monotonic() + 20
        while len([m for m in fake.gateway_received if m.get("op") == 2]) == identified and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, 10)
        assert app.posters.get("discord") is None
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        app.close()
