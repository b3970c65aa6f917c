"""One log record is one line: outside text with newlines or terminal escapes cannot forge a record in
the operator's log (adapters/terminal/logs.py), both through the formatter and end to end, with
`newsdigest run slack` sent a signed command whose fields carry a fake CRITICAL line."""

from __future__ import annotations

import io
import logging
import re

import pytest

from adapters.terminal.logs import FORMAT, EscapingFormatter, OneLineFormatter, escape_controls
from tests.conftest import stop
from tests.fakes.slack_server import signed_headers, slack_api, slash_body  # noqa: F401 - slack_api: a fixture
from tests.helpers.output import Lines
from tests.helpers.slack_process import environment, free_port, post, start_slack, wait_for_port

FORGED = "2026-12-01 09:00:00,000 CRITICAL newsdigest: the database was deleted"
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


def logged(formatter: logging.Formatter, emit) -> str:  # noqa: ANN001 - emit(logger)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test_logs.{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_newline_in_a_logged_value_cannot_start_a_record():
    text = logged(EscapingFormatter(FORMAT), lambda log: log.error("slack: %s while handling %s", "boom",
                                                                   f"/digest\n{FORGED}\r\n{FORGED}"))
    [line] = text.splitlines()
    assert RECORD.match(line) and " ERROR " in line
    assert f"/digest\\n{FORGED}\\r\\n{FORGED}" in line


def test_terminal_escapes_and_unicode_line_breaks_are_shown_not_obeyed():
    value = "title\x1b[2J\x1b[1;1H\u2028" + FORGED + "\u202e\x00\x85"
    [line] = logged(EscapingFormatter(FORMAT), lambda log: log.warning("feed %s", value)).splitlines()
    assert "\x1b" not in line and "\u2028" not in line and "\x00" not in line and "\u202e" not in line
    assert "title\\x1b[2J\\x1b[1;1H\\u2028" + FORGED + "\\u202e\\x00\\x85" in line
    assert escape_controls("plain words, é and 漢字") == "plain words, é and 漢字"


def test_a_traceback_keeps_its_lines_but_not_the_exception_messages():
    def emit(log: logging.Logger) -> None:
        try:
            try:
                raise KeyError(f"first\n{FORGED}")
            except KeyError as inner:
                raise ValueError(f"bad command /digest\n{FORGED}") from inner
        except ValueError:
            log.exception("slack %s failed", "/digest\nx")

    lines = logged(EscapingFormatter(FORMAT), emit).splitlines()
    assert RECORD.match(lines[0]) and lines[0].endswith("slack /digest\\nx failed")
    assert lines.count("Traceback (most recent call last):") == 2  # the cause and the error: the operator's lines
    assert any(line.startswith('  File "') for line in lines)
    assert f"ValueError: bad command /digest\\n{FORGED}" in lines
    assert any(line.startswith("KeyError: ") and "\\n" + FORGED in line for line in lines)
    assert not any(line.startswith(FORGED) for line in lines)
    assert [line for line in lines if RECORD.match(line)] == [lines[0]]


def test_the_one_line_formatter_escapes_too_and_leaves_the_traceback_out():
    def emit(log: logging.Logger) -> None:
        try:
            raise RuntimeError("x")
        except RuntimeError:
            log.exception("failed on %s", f"a\n{FORGED}")

    [line] = logged(OneLineFormatter(FORMAT), emit).splitlines()
    assert line.endswith(f"failed on a\\n{FORGED} (run with --verbose for details)")


@pytest.mark.slow
def test_run_slack_logs_a_forged_command_on_one_line_and_answers_a_bad_timestamp_with_401(tmp_path, slack_api):  # noqa: F811
    port = free_port()
    env = environment(tmp_path / "data", slack_bot_token="xoxb-test", slack_signing_secret="log-secret",
                      slack_port=str(port), slack_api_url=slack_api.api_url)
    process = start_slack(env)
    try:
        wait_for_port(port, process)
        errors = Lines(process.stderr)
        # The command field as a form body carries it: "%0A" then a line that looks like a record.
        body = slash_body(f"/digest\n{FORGED}", "now", slack_api.response_url())
        assert "%0A2026-12-01" in body
        status, _ = post(port, body, signed_headers(body, "log-secret"))
        assert status in (200, 404)  # slack-bolt's answer to a command it does not know
        # a malformed timestamp: refused, no 500, no traceback
        good = slash_body("/who-said", "anything", slack_api.response_url())
        status, answer = post(port, good, {**signed_headers(good, "log-secret"), "x-slack-request-timestamp": "abc"})
        assert status == 401 and b"invalid request" in answer
        # both requests handled and logged before the bot is stopped
        errors.wait_for(f"\\n{FORGED}")
        errors.wait_for("malformed signature headers")
    finally:
        stop(process)
    stderr = errors.text()
    stdout = process.stdout.read().decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert any(f"\\n{FORGED}" in line for line in lines), stderr  # logged, escaped, on its record's line
    assert not any(line.startswith(FORGED) or line.startswith("CRITICAL") for line in lines), stderr
    # every line of stderr is a record of its own, or the CLI's own "newsdigest: …" status line
    assert all(RECORD.match(line) or line.startswith("newsdigest: ") for line in lines if line), stderr
    assert "malformed signature headers" in stderr
    assert f"Slack in HTTP mode on port {port} of 127.0.0.1" in stdout  # loopback unless NEWSDIGEST_SLACK_HOST says


# --- levels and the JSON format (issue 15: NEWSDIGEST_LOG_LEVEL, NEWSDIGEST_LOG_FORMAT) -------------

def test_a_json_record_is_one_object_per_line_with_its_context_fields():
    import json

    from adapters.terminal.logs import JsonFormatter

    text = logged(JsonFormatter(), lambda log: log.warning("posted %s\n%s", "digest", FORGED,
                                                           extra={"channel": "slack:T1:C2", "slot": "2026-12-01T09:00",
                                                                  "outcome": "posted"}))
    [line] = text.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["message"] == f"posted digest\n{FORGED}"
    assert entry["channel"] == "slack:T1:C2" and entry["slot"] == "2026-12-01T09:00" and entry["outcome"] == "posted"
    assert entry["ts"].endswith("+00:00") and entry["logger"].startswith("test_logs.")


def test_a_json_record_carries_the_error_and_its_traceback_as_strings():
    import json

    from adapters.terminal.logs import JsonFormatter

    def emit(log: logging.Logger) -> None:
        try:
            raise ValueError("bad\nthing")
        except ValueError:
            log.exception("poll failed", extra={"feed": "https://example.org/feed"})

    [line] = logged(JsonFormatter(), emit).splitlines()
    entry = json.loads(line)
    assert entry["error"] == "ValueError: bad\nthing" and "Traceback" in entry["traceback"]
    assert entry["feed"] == "https://example.org/feed"
    [line] = logged(JsonFormatter(tracebacks=False), emit).splitlines()
    assert "traceback" not in json.loads(line)


def test_the_bots_own_loggers_take_the_level_and_libraries_stay_at_warning():
    from adapters.terminal.logs import OWN_LOGGERS, install, level_number

    root = logging.getLogger()
    saved_root, saved_own = root.level, {n: logging.getLogger(n).level for n in OWN_LOGGERS}
    try:
        install(level="info", library_level="warning")
        assert logging.getLogger("bot.delivery").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("adapters.slack").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("apscheduler.scheduler").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("alembic.runtime.migration").getEffectiveLevel() == logging.WARNING
        install(verbose=True)
        assert logging.getLogger("digests.engine").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("asyncio").getEffectiveLevel() == logging.WARNING
    finally:
        root.setLevel(saved_root)
        for name, level in saved_own.items():
            logging.getLogger(name).setLevel(level)
    assert level_number("Error") == logging.ERROR
    try:
        level_number("loud")
    except ValueError as exc:
        assert "not a log level" in str(exc)
    else:
        raise AssertionError("an unknown level was accepted")
