"""Discord sharding (issue 17 item 4): discord.py's AutoShardedClient against the local gateway, which
recommends a shard count on GET /gateway/bot, echoes each IDENTIFY's shard in READY and sends a
server's events to the one shard Discord would ((guild_id >> 22) % count).

One process running every shard Discord recommends, and two processes (two clients here, each with its
own store) splitting the shards by NEWSDIGEST_DISCORD_SHARD_COUNT / _SHARD_IDS: each interaction is
answered exactly once, by the client holding its server's shard."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time

import discord
import pytest
from discord.gateway import DiscordWebSocket

from adapters.discord.main import DiscordPlatform
from adapters.discord.settings import DiscordSettings
from bot.app import Newsdigest
from bot.config import ConfigError, Settings
from tests.fakes.discord_server import (
    fake,  # noqa: F401 - the module's local Discord
    interaction,
    option,
)
from tests.helpers.output import Lines

from .test_discord_run import CLI, environment

# Two servers, one on each shard of two: (id >> 22) % 2 is 1 and 0.
GUILD_ON_1 = "1100000000000000010"
GUILD_ON_0 = "1100000000004194314"
GUILD_ON_1_OF_3 = "1100000000000000010"  # (id >> 22) % 3 == 1


def test_shard_ids_are_read_as_a_list_or_ranges():
    settings = DiscordSettings(_env_file=None, shard_count=6, shard_ids="0-2, 5")
    assert settings.shard_ids == [0, 1, 2, 5]
    assert DiscordSettings(_env_file=None).shard_ids is None and DiscordSettings(_env_file=None).shard_count is None


@pytest.mark.parametrize(("env", "message"), [
    ({"NEWSDIGEST_DISCORD_SHARD_IDS": "0"}, "needs NEWSDIGEST_DISCORD_SHARD_COUNT"),
    ({"NEWSDIGEST_DISCORD_SHARD_COUNT": "2", "NEWSDIGEST_DISCORD_SHARD_IDS": "1,2"}, "outside 0..1"),
    ({"NEWSDIGEST_DISCORD_SHARD_COUNT": "2", "NEWSDIGEST_DISCORD_SHARD_IDS": "one"}, "must be a shard id or a range"),
    ({"NEWSDIGEST_DISCORD_SHARD_COUNT": "0"}, "NEWSDIGEST_DISCORD_SHARD_COUNT"),
])
def test_a_wrong_shard_setting_is_one_line_naming_it(monkeypatch, tmp_path, env, message):
    monkeypatch.chdir(tmp_path)  # no .env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        DiscordSettings.load()


async def _connected(platform: DiscordPlatform, app: Newsdigest, task: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + 30
    while not platform.connected() and time.monotonic() < deadline:
        assert not task.done(), task.result()
        await asyncio.sleep(0.02)
    assert platform.connected()


def _who_said(guild_id: str) -> dict:
    return interaction("who-said", [option("fragment", "a sentence nobody said")], guild_id=guild_id)


def _answers(fake, payload: dict) -> list:  # noqa: F811 - the fixture, passed on
    return fake.recorded("POST", rf"/interactions/{payload['id']}/[^/]+/callback")


async def _wait_answered(fake, payloads: list[dict]) -> None:  # noqa: F811
    deadline = time.monotonic() + 30
    while not all(_answers(fake, p) for p in payloads) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def test_one_process_runs_every_shard_discord_recommends(tmp_path, fake, capsys):  # noqa: F811
    fake.reset()
    fake.recommended_shards = 2
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    app = Newsdigest(Settings(_env_file=None, data_dir=tmp_path))
    platform = DiscordPlatform(DiscordSettings(_env_file=None, token="t", api_url=fake.api_url,
                                               gateway_url=fake.gateway_url))
    stop = asyncio.Event()
    task = asyncio.create_task(platform.serve(app, stop))
    try:
        await _connected(platform, app, task)
        assert fake.recorded("GET", "/gateway/bot")  # the count came from Discord
        assert sorted(fake.identified_shards()) == [(0, 2), (1, 2)]
        payloads = [_who_said(GUILD_ON_0), _who_said(GUILD_ON_1)]
        for payload in payloads:
            fake.push("INTERACTION_CREATE", payload)
        await _wait_answered(fake, payloads)
        assert [len(_answers(fake, p)) for p in payloads] == [1, 1]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        app.close()
    assert "newsdigest: discord: connected as newsdigest in 0 server(s); no privileged intents needed; shards 0, 1 of 2" \
        in capsys.readouterr().err


async def test_two_processes_split_the_shards_and_each_answers_its_own(tmp_path, fake, capsys):  # noqa: F811
    fake.reset()
    fake.recommended_shards = 5  # ignored: the operator set the count
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    apps = [Newsdigest(Settings(_env_file=None, data_dir=tmp_path / str(n))) for n in (0, 1)]
    platforms = [DiscordPlatform(DiscordSettings(_env_file=None, token="t", api_url=fake.api_url,
                                                 gateway_url=fake.gateway_url, shard_count=2, shard_ids=str(n)))
                 for n in (0, 1)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.serve(a, stop)) for p, a in zip(platforms, apps)]
    try:
        for platform, app, task in zip(platforms, apps, tasks):
            await _connected(platform, app, task)
        assert not fake.recorded("GET", "/gateway/bot")
        assert sorted(fake.identified_shards()) == [(0, 2), (1, 2)]
        assert [sorted(p.client(a).shards) for p, a in zip(platforms, apps)] == [[0], [1]]
        payloads = [_who_said(GUILD_ON_1), _who_said(GUILD_ON_0), _who_said(GUILD_ON_1)]
        for payload in payloads:
            fake.push("INTERACTION_CREATE", payload)
        await _wait_answered(fake, payloads)
        assert [len(_answers(fake, p)) for p in payloads] == [1, 1, 1]  # once each, never by both processes
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
        for app in apps:
            app.close()
    err = capsys.readouterr().err
    assert "no privileged intents needed; shards 0 of 2" in err and "no privileged intents needed; shards 1 of 2" in err


@pytest.mark.slow
def test_the_command_runs_the_shards_its_settings_name(tmp_path, fake):  # noqa: F811
    """`newsdigest run discord` as an operator runs the second of two processes: shards 1 and 2 of 3."""
    fake.reset()
    env = environment(tmp_path / "data", discord_token="t", discord_api_url=fake.api_url,
                      discord_gateway_url=fake.gateway_url, discord_shard_count="3", discord_shard_ids="1-2")
    process = subprocess.Popen([str(CLI), "run", "discord"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    errors = Lines(process.stderr)
    try:
        line = errors.wait_for("newsdigest: discord: connected as")
        assert line.rstrip().endswith("no privileged intents needed; shards 1, 2 of 3")
        assert sorted(fake.identified_shards()) == [(1, 3), (2, 3)]
        payload = _who_said(GUILD_ON_1_OF_3)
        fake.push("INTERACTION_CREATE", payload)
        fake.wait_for("POST", rf"/interactions/{payload['id']}/[^/]+/callback")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0, errors.text()
    assert "Traceback" not in errors.text()
