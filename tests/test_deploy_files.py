"""The deployment files agree with the settings model: `.env.example` lists every setting (it is
what `newsdigest config --example` prints), and the compose file, the Dockerfile and the README's
table name only settings that exist. Also the operator's configuration checks: misspelt names,
secrets from files, comma-separated lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from adapters.platform import settings_classes
from adapters.terminal.cli import env_example
from bot.config import Settings, unknown_variables, variables
from tests.helpers.cli import run

ROOT = Path(__file__).resolve().parents[1]
KNOWN = set(variables(settings_classes()))


def test_env_example_is_every_setting_at_its_default():
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example(settings_classes()), \
        "regenerate it: newsdigest config --example > .env.example"
    listed = set(re.findall(r"^#(NEWSDIGEST_[A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert listed == KNOWN and "NEWSDIGEST_SLACK_BOT_TOKEN" in listed and "NEWSDIGEST_LOG_LEVEL" in listed


def test_the_readme_documents_every_setting_and_invents_none():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `(NEWSDIGEST_[A-Z_]+)`", readme, flags=re.M)) | set(
        re.findall(r"^\| `NEWSDIGEST_[A-Z_]+`, `(NEWSDIGEST_[A-Z_]+)`", readme, flags=re.M))
    mentioned = set(re.findall(r"NEWSDIGEST_[A-Z_]*[A-Z]", readme))
    assert KNOWN <= table, f"missing from the README's table: {sorted(KNOWN - table)}"
    invented = {m for m in mentioned if m not in KNOWN and not m.startswith("NEWSDIGEST_TEST_")
                and m.removesuffix("_FILE") not in KNOWN}
    assert not invented, f"the README names settings that do not exist: {sorted(invented)}"


def test_compose_runs_the_bot_after_a_healthy_postgresql_with_named_volumes():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert set(bot["environment"]) <= KNOWN
    assert bot["environment"]["NEWSDIGEST_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    named = set(compose["volumes"])
    for service in (bot, db):
        for volume in service["volumes"]:
            assert volume.split(":")[0] in named
    assert bot["env_file"] == ".env" and ".env" in (ROOT / ".gitignore").read_text().split()


def test_the_dockerfile_runs_as_a_user_with_a_health_check_and_known_settings():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert set(re.findall(r"(NEWSDIGEST_[A-Z_]+)=", text)) <= KNOWN
    assert re.search(r"^USER [1-9]\d*$", text, flags=re.M), "a numeric non-root user"
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", text, flags=re.M)
    assert '\nENTRYPOINT ["newsdigest"]\nCMD ["run"]' in text


def test_a_misspelt_name_is_warned_about_with_the_closest_known_one():
    lines = unknown_variables(settings_classes(), {"NEWSDIGEST_SLAK_BOT_TOKEN": "x", "NEWSDIGEST_FETCH_TIMEOUT": "3",
                                                   "NEWSDIGEST_TEST_REQUIRE_POSTGRES": "1", "OTHER": "1"})
    assert lines == ["unknown setting NEWSDIGEST_SLAK_BOT_TOKEN (did you mean NEWSDIGEST_SLACK_BOT_TOKEN?): it is ignored"]


@pytest.mark.slow
def test_the_warning_reaches_the_operator_as_one_line(tmp_path):
    done = run("config", env={"NEWSDIGEST_FEED_INTREVAL": "60", "NEWSDIGEST_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert done.returncode == 0
    warned = [line for line in done.stderr.decode().splitlines() if "unknown setting" in line]
    assert len(warned) == 1 and "NEWSDIGEST_FEED_INTREVAL (did you mean NEWSDIGEST_FEED_INTERVAL?)" in warned[0]


@pytest.mark.slow
def test_config_masks_secrets_and_says_where_each_came_from(tmp_path):
    import json

    secret = tmp_path / "token"
    secret.write_text("xoxb-from-a-file\n")
    (tmp_path / ".env").write_text("NEWSDIGEST_FEED_INTERVAL=120\n")
    done = run("config", "--json", cwd=tmp_path, env={
        "NEWSDIGEST_SLACK_BOT_TOKEN_FILE": str(secret), "NEWSDIGEST_DATA_DIR": str(tmp_path),
        "NEWSDIGEST_DATABASE_URL": "postgresql://bot:hunter2@db.example/news"})
    assert done.returncode == 0, done.stderr
    rows = {row["variable"]: row for row in json.loads(done.stdout)["settings"]}
    assert rows["NEWSDIGEST_SLACK_BOT_TOKEN"] == {"variable": "NEWSDIGEST_SLACK_BOT_TOKEN", "value": "********",
                                                  "source": "file (NEWSDIGEST_SLACK_BOT_TOKEN_FILE)"}
    assert rows["NEWSDIGEST_FEED_INTERVAL"]["value"] == "120" and rows["NEWSDIGEST_FEED_INTERVAL"]["source"] == ".env"
    assert rows["NEWSDIGEST_DATABASE_URL"]["value"] == "postgresql://bot:***@db.example/news"
    assert rows["NEWSDIGEST_DATA_DIR"]["source"] == "environment"
    assert rows["NEWSDIGEST_DIGEST_WORKERS"] == {"variable": "NEWSDIGEST_DIGEST_WORKERS", "value": "2", "source": "default"}
    assert b"hunter2" not in done.stdout and b"xoxb-from-a-file" not in done.stdout


@pytest.mark.slow
def test_a_secret_file_that_cannot_be_read_is_one_line_naming_the_variable(tmp_path):
    done = run("config", cwd=tmp_path, env={"NEWSDIGEST_DISCORD_TOKEN_FILE": str(tmp_path / "missing"),
                                            "NEWSDIGEST_DATA_DIR": str(tmp_path)})
    assert done.returncode != 0
    [line] = done.stderr.decode().strip().splitlines()
    assert "NEWSDIGEST_DISCORD_TOKEN_FILE" in line and "Traceback" not in line


def test_lists_accept_commas_as_well_as_json(monkeypatch):
    # The environment is the input here (not the code under test): set as an operator would.
    monkeypatch.setenv("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", "10.1.0.0/16, 192.168.5.0/24")
    assert [str(n) for n in Settings().allowed_private_networks] == ["10.1.0.0/16", "192.168.5.0/24"]
    monkeypatch.setenv("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", '["10.1.0.0/16"]')
    assert [str(n) for n in Settings().allowed_private_networks] == ["10.1.0.0/16"]
