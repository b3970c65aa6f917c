"""`newsdigest run slack` (a separate process, HTTP mode, signed requests over real HTTP) while huge
pasted /digests run: one more than the pool holds is told "busy" at once, /who-said keeps answering,
and SIGTERM stops the process within seconds although digests are still running."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.fakes.slack_server import TEAM_ID, signed_headers, slack_api, slash_body, texts  # noqa: F401 - a fixture
from tests.helpers.articles import long_article
from tests.helpers.slack_process import SECRET, environment, free_port, post, run_cli, start_slack, wait_for_port

pytestmark = pytest.mark.slow  # every test here starts a subprocess


def answer_to(slack_api, url: str) -> dict | None:  # noqa: ANN001, F811 - FakeSlack
    path = url.split("127.0.0.1:", 1)[1].split("/", 1)[1]
    found = [c for c in slack_api.responses() if c.path == "/" + path]
    return json.loads(found[0].body) if found else None


def test_huge_digests_leave_the_bot_answering_and_sigterm_stops_it(tmp_path, slack_api):  # noqa: F811
    data_dir = tmp_path / "data"
    seeded = run_cli("ingest", "seeds/", "--workspace", f"slack:{TEAM_ID}", env=environment(data_dir))
    assert seeded.returncode == 0, seeded.stderr.decode()
    port = free_port()
    env = environment(data_dir, slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_port=str(port),
                      slack_api_url=slack_api.api_url, digest_workers="1", digest_queue="1", digest_deadline="600")
    process = start_slack(env)
    try:
        wait_for_port(port, process)
        text = long_article(110_000)  # minutes of digesting on a shared machine
        urls = [slack_api.response_url() for _ in range(3)]
        for n, url in enumerate(urls):
            body = slash_body("/digest", text.replace("Ostend", f"Ostend{n}", 1), url)
            status, _ = post(port, body, signed_headers(body, SECRET))
            assert status == 200
        # one runs, one waits; the third is told at once
        slack_api.wait(lambda calls: answer_to(slack_api, urls[2]) is not None, timeout=60)
        busy = answer_to(slack_api, urls[2])
        assert busy["response_type"] == "ephemeral"
        assert "busy digesting other articles: try again in a minute" in "\n".join(texts(busy))
        assert "Busy right now" in "\n".join(texts(busy)) and "Something went wrong" not in "\n".join(texts(busy))

        who = slack_api.response_url()
        body = slash_body("/who-said", '"go to choice for coders"', who)
        status, _ = post(port, body, signed_headers(body, SECRET))
        assert status == 200
        slack_api.wait(lambda calls: answer_to(slack_api, who) is not None, timeout=30)
        assert "Christopher Nulty" in "\n".join(texts(answer_to(slack_api, who)))
        # ...while the two digests were still running or waiting
        assert answer_to(slack_api, urls[0]) is None and answer_to(slack_api, urls[1]) is None
    finally:
        process.terminate()
        stopping = time.monotonic()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("newsdigest run slack did not stop within 15 s of SIGTERM") from None
    stderr = process.stderr.read().decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert time.monotonic() - stopping < 15
