"""bot.sources / bot.fetch / bot.html / bot.config: reading articles from files, stdin and URLs.

Files are real files in tmp_path; URLs are served by the real local HTTP server (`local_http`).
"""

from __future__ import annotations

import codecs
import io
import socket
import time
from pathlib import Path

import pytest

from bot.config import Settings, get_settings
from bot.errors import SourceError
from bot.fetch import fetch_url, is_public_address
from bot.html import extract_html, looks_like_html
from bot.sources import ArticleInput, read_source

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "anthropic-cuts-openai-claude-access.txt"

PARAGRAPHS = [
    "The city council voted on Tuesday to expand the riverside bike network by twelve kilometres over the next two years.",
    '"This is the biggest investment in cycling the city has ever made," said councillor Maria Lopez after the vote.',
    "Opponents argued that the plan removes too many parking spaces from the old town and will hurt small shops.",
]
ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Council backs bike lanes | The Riverside Gazette</title>
<meta property="og:title" content="Council backs riverside bike lanes">
<meta property="og:site_name" content="The Riverside Gazette">
<meta name="author" content="Sam Writer">
<meta property="article:published_time" content="2025-03-14T09:30:00+00:00">
</head><body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/subscribe">Subscribe</a></nav></header>
<main><article>
<h1>Council backs riverside bike lanes</h1>
<p>{PARAGRAPHS[0]}</p>
<h2>Reactions from the council</h2>
<p>{PARAGRAPHS[1]}</p>
<p>{PARAGRAPHS[2]}</p>
</article></main>
<footer><p>Copyright 2025 The Riverside Gazette. All rights reserved. Cookie settings.</p></footer>
</body></html>"""
PLAIN_TEXT = "Council backs bike lanes\n\n" + "\n\n".join(PARAGRAPHS) + "\n"


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"allow_private_urls": False, "fetch_timeout": 5.0}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def private_ok() -> Settings:
    return make_settings(allow_private_urls=True)


def error_of(source: str, settings: Settings, **kwargs: object) -> str:
    """The operator's version of the error (its detail). What anyone may read (str) is checked here too:
    one line, and never an address the bot refused or an operator setting."""
    with pytest.raises(SourceError) as info:
        read_source(source, settings, **kwargs)
    message, detail = str(info.value), info.value.detail
    for text in (message, detail):
        assert "\n" not in text and "Traceback" not in text
    assert "NEWSDIGEST_" not in message and "refusing" not in message
    return detail


# --- configuration ---------------------------------------------------------------------------------


def test_settings_defaults_are_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEWSDIGEST_ALLOW_PRIVATE_URLS", "NEWSDIGEST_DATA_DIR", "NEWSDIGEST_DATABASE_URL", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.allow_private_urls is False
    assert settings.database_url is None
    assert settings.data_dir == Path.home() / ".local" / "share" / "newsdigest"
    assert settings.fetch_timeout == 10.0
    assert settings.max_fetch_bytes == 5 * 1024 * 1024
    assert settings.max_file_bytes == 10 * 1024 * 1024
    assert settings.user_agent.startswith("newsdigest/")


def test_settings_read_prefixed_environment_and_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSDIGEST_ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setenv("NEWSDIGEST_DATA_DIR", "~/digest-data")
    monkeypatch.setenv("NEWSDIGEST_ALLOWED_PRIVATE_NETWORKS", '["10.1.0.0/16"]')
    env_file = tmp_path / "settings.env"
    env_file.write_text("NEWSDIGEST_FETCH_TIMEOUT=2.5\nNEWSDIGEST_MAX_FILE_BYTES=1000\n")
    settings = Settings(_env_file=env_file)
    assert settings.allow_private_urls is True
    assert settings.data_dir == Path.home() / "digest-data"
    assert [str(n) for n in settings.allowed_private_networks] == ["10.1.0.0/16"]
    assert settings.fetch_timeout == 2.5
    assert settings.max_file_bytes == 1000


def test_get_settings_is_read_once_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("NEWSDIGEST_FETCH_TIMEOUT", "3")
    try:
        first = get_settings()
        monkeypatch.setenv("NEWSDIGEST_FETCH_TIMEOUT", "4")
        assert get_settings() is first and first.fetch_timeout == 3.0
        get_settings.cache_clear()
        assert get_settings().fetch_timeout == 4.0
    finally:
        get_settings.cache_clear()


# --- HTML extraction -------------------------------------------------------------------------------


def test_extract_html_keeps_article_paragraphs_and_headings_and_reads_metadata() -> None:
    text, meta = extract_html(ARTICLE_HTML, "https://gazette.example/bikes")
    lines = text.split("\n")
    for paragraph in PARAGRAPHS:
        assert paragraph in lines  # one paragraph per line, verbatim
    assert "Reactions from the council" in lines
    assert lines.index(PARAGRAPHS[0]) < lines.index("Reactions from the council") < lines.index(PARAGRAPHS[1])
    assert "Subscribe" not in text and "Copyright" not in text  # navigation and footer dropped
    assert meta.title == "Council backs riverside bike lanes"
    assert meta.author == "Sam Writer"
    assert meta.published == "2025-03-14"
    assert meta.url == "https://gazette.example/bikes"
    assert meta.source == "The Riverside Gazette"


def test_extract_html_refuses_a_page_without_article_text() -> None:
    page = "<html><head><title>Log in</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
    with pytest.raises(SourceError, match="no article text found in the page"):
        extract_html(page, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ARTICLE_HTML, True),
        ("\ufeff  <html><body><p>Hi</p></body></html>", True),
        ("<?xml version='1.0'?>\n<!-- saved --><html xmlns='http://www.w3.org/1999/xhtml'><body/></html>", True),
        ("<article><h1>Title</h1><p>Body text</p></article>", True),
        (PLAIN_TEXT, False),
        ("Browsers render <p> and <div> tags; the <html> element is the root.", False),
        ("<3 this story. A plain note that opens with a heart.", False),
    ],
)
def test_looks_like_html(text: str, expected: bool) -> None:
    assert looks_like_html(text) is expected


# --- files and standard input ----------------------------------------------------------------------


def test_plain_text_file_is_passed_as_is(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text(PLAIN_TEXT, encoding="utf-8")
    result = read_source(str(path), make_settings())
    assert isinstance(result, ArticleInput)
    assert result.text == PLAIN_TEXT
    assert result.meta.source == "story.txt"
    assert result.meta.url is None and result.meta.title is None


def test_seed_article_reads_verbatim() -> None:
    result = read_source(str(SEED), make_settings())
    assert result.text == SEED.read_text(encoding="utf-8")
    assert result.meta.source == SEED.name


def test_html_file_goes_through_extraction(tmp_path: Path) -> None:
    path = tmp_path / "saved-page.html"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    result = read_source(str(path), make_settings())
    assert "<p>" not in result.text and PARAGRAPHS[1] in result.text
    assert result.meta.title == "Council backs riverside bike lanes"
    assert result.meta.author == "Sam Writer"
    assert result.meta.published == "2025-03-14"
    assert result.meta.source == "saved-page.html"


def test_html_content_in_a_txt_file_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    result = read_source(str(path), make_settings())
    assert "<html" not in result.text and PARAGRAPHS[0] in result.text
    assert result.meta.title == "Council backs riverside bike lanes"


def test_html_file_without_article_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    message = error_of(str(path), make_settings())
    assert message == f"cannot read {path}: no article text found in the page"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "seeds" / "x.txt"
    assert error_of(str(missing), make_settings()) == f"cannot read {missing}: no such file"


def test_missing_file_that_looks_like_a_web_address_gets_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = error_of("example.com/news/story", make_settings())
    assert message.startswith("cannot read example.com/news/story: no such file")
    assert "https://" in message


def test_directory_is_refused(tmp_path: Path) -> None:
    assert error_of(str(tmp_path), make_settings()) == f"cannot read {tmp_path}: it is a directory"


def test_file_over_the_size_limit_names_its_size_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 600)  # 3,000 bytes
    message = error_of(str(path), make_settings(max_file_bytes=2048))
    assert message == f"cannot read {path}: the file is 2.9 KB; the limit is 2.0 KB"
    # At the limit exactly it is still read.
    assert read_source(str(path), make_settings(max_file_bytes=3000)).text == "word " * 600


def test_empty_and_blank_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\t\n")
    assert error_of(str(empty), make_settings()) == f"cannot read {empty}: it is empty"
    assert error_of(str(blank), make_settings()) == f"cannot read {blank}: it contains only blank space"


def test_binary_files_are_refused(tmp_path: Path) -> None:
    nul = tmp_path / "data.bin"
    nul.write_bytes(b"some text\x00\x01\x02 then binary")
    controls = tmp_path / "controls.txt"
    controls.write_bytes(bytes([1, 2, 3, 27, 127, 8]) * 40 + b"hello world")
    png = tmp_path / "picture.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    assert error_of(str(nul), make_settings()) == f"cannot read {nul}: it looks like a binary file, not text"
    assert error_of(str(controls), make_settings()) == f"cannot read {controls}: it looks like a binary file, not text"
    assert error_of(str(png), make_settings()) == f"cannot read {png}: it is a PNG image, not text"
    assert error_of(str(pdf), make_settings()) == f"cannot read {pdf}: it is a PDF document, not text"


def test_undecodable_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(0x80, 0x100)) * 4)  # invalid UTF-8, no NUL, not text in any code page
    assert error_of(str(path), make_settings()) == f"cannot read {path}: it is not UTF-8 text and no other text encoding fits"


def test_legacy_and_bom_encodings_are_decoded(tmp_path: Path) -> None:
    sentence = "Le café est très bon, dit-il. « Nous sommes prêts », a déclaré la porte-parole à la presse."
    cp1252 = tmp_path / "latin.txt"
    cp1252.write_bytes(sentence.encode("cp1252"))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(sentence.encode("utf-16"))  # with its byte-order mark
    utf8_bom = tmp_path / "bom.txt"
    utf8_bom.write_bytes(codecs.BOM_UTF8 + sentence.encode("utf-8"))
    for path in (cp1252, utf16, utf8_bom):
        assert read_source(str(path), make_settings()).text == sentence, path.name


def test_stdin_bytes_and_text_streams() -> None:
    settings = make_settings()
    from_bytes = read_source("-", settings, stdin=io.BytesIO(PLAIN_TEXT.encode("utf-8")))
    from_text = read_source("-", settings, stdin=io.StringIO(PLAIN_TEXT))
    assert from_bytes.text == PLAIN_TEXT == from_text.text
    assert from_bytes.meta.source is None
    html = read_source("-", settings, stdin=io.BytesIO(ARTICLE_HTML.encode("utf-8")))
    assert html.meta.title == "Council backs riverside bike lanes" and "<p>" not in html.text


def test_stdin_limits_and_empty_input() -> None:
    settings = make_settings(max_file_bytes=100)
    assert error_of("-", settings, stdin=io.BytesIO(b"x" * 101)) == "cannot read standard input: the input is larger than the 100 bytes limit"
    assert error_of("-", settings, stdin=io.BytesIO(b"")) == "cannot read standard input: it is empty"
    assert read_source("-", settings, stdin=io.BytesIO(b"y" * 100)).text == "y" * 100


def test_only_http_and_https_urls(local_http) -> None:
    for url in ("ftp://example.com/story.txt", "file:///etc/passwd"):
        message = error_of(url, make_settings(allow_private_urls=True))
        assert message.startswith(f"could not fetch {url}: only http and https URLs can be fetched")
    assert local_http.requests == []


# --- URLs: the private-address guard ----------------------------------------------------------------


def test_loopback_url_is_refused_by_default_before_any_connection(local_http) -> None:
    url = local_http.route("/article", ARTICLE_HTML, content_type="text/html; charset=utf-8")
    message = error_of(url, make_settings())
    assert message == f"could not fetch {url}: refusing a private address 127.0.0.1; set NEWSDIGEST_ALLOW_PRIVATE_URLS=1 to allow it"
    via_name = f"http://localhost:{local_http.port}/article"
    assert "refusing a private address" in error_of(via_name, make_settings())
    assert local_http.requests == []  # refused before connecting


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/admin",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",  # carrier-grade NAT
    ],
)
def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(SourceError) as caught:
        fetch_url(url, make_settings(fetch_timeout=1.0))
    assert "refusing a private address" in caught.value.detail
    assert str(caught.value) == f"could not fetch {url}: that address can't be fetched"


def test_public_address_check() -> None:
    import ipaddress

    assert is_public_address(ipaddress.ip_address("93.184.216.34"))
    assert is_public_address(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))
    assert not is_public_address(ipaddress.ip_address("2002:0a00:0001::1"))  # 6to4 wrapping 10.0.0.1
    assert not is_public_address(ipaddress.ip_address("64:ff9b::7f00:1"))  # NAT64 wrapping 127.0.0.1


def test_loopback_url_is_allowed_when_configured(local_http, private_ok: Settings) -> None:
    url = local_http.route("/article", ARTICLE_HTML, content_type="text/html; charset=utf-8")
    result = read_source(url, private_ok)
    assert PARAGRAPHS[0] in result.text.split("\n") and "<p>" not in result.text
    assert result.meta.title == "Council backs riverside bike lanes"
    assert result.meta.author == "Sam Writer"
    assert result.meta.published == "2025-03-14"
    assert result.meta.url == url
    assert result.meta.source == "127.0.0.1"
    (request,) = local_http.requests
    assert request.path == "/article"
    assert request.headers["user-agent"] == private_ok.user_agent
    assert request.headers["host"] == f"127.0.0.1:{local_http.port}"


def test_allowed_private_network_lets_one_range_through(local_http) -> None:
    url = local_http.route("/article", ARTICLE_HTML, content_type="text/html")
    settings = make_settings(allowed_private_networks=["127.0.0.0/8"])
    assert read_source(url, settings).meta.author == "Sam Writer"
    with pytest.raises(SourceError) as caught:
        fetch_url("http://10.0.0.1/", settings)
    assert "refusing a private address 10.0.0.1" in caught.value.detail


def test_every_redirect_hop_is_checked(local_http) -> None:
    # Only the test server's own address is allowed: the hop to 10.0.0.1 must be refused, not tried.
    settings = make_settings(allowed_private_networks=["127.0.0.1/32"], fetch_timeout=2.0)
    start = local_http.route("/go", status=302, headers={"Location": "http://10.0.0.1/internal"})
    message = error_of(start, settings)
    assert message == (
        f"could not fetch {start}: it redirects to http://10.0.0.1/internal; "
        "refusing a private address 10.0.0.1; set NEWSDIGEST_ALLOW_PRIVATE_URLS=1 to allow it"
    )
    metadata = local_http.route("/meta", status=301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    assert "refusing a private address 169.254.169.254" in error_of(metadata, settings)
    to_file = local_http.route("/file", status=302, headers={"Location": "file:///etc/passwd"})
    assert "only http and https URLs can be fetched, not file" in error_of(to_file, settings)
    assert local_http.paths() == ["/go", "/meta", "/file"]


# --- URLs: what comes back --------------------------------------------------------------------------


def test_redirects_are_followed_and_the_final_url_kept(local_http, private_ok: Settings) -> None:
    final = local_http.route("/story", PLAIN_TEXT, content_type="text/plain; charset=utf-8")
    local_http.route("/short", status=301, headers={"Location": "/middle"})
    local_http.route("/middle", status=307, headers={"Location": final})
    result = read_source(local_http.url("/short"), private_ok)
    assert result.text == PLAIN_TEXT
    assert result.meta.url == final
    assert local_http.paths() == ["/short", "/middle", "/story"]


def test_redirect_loop_stops_after_five_redirects(local_http, private_ok: Settings) -> None:
    url = local_http.route("/loop", status=302, headers={"Location": "/loop"})
    assert error_of(url, private_ok) == f"could not fetch {url}: too many redirects (more than 5)"
    assert len(local_http.requests) == 6  # the request and five redirects followed


def test_http_errors_are_one_line(local_http, private_ok: Settings) -> None:
    missing = local_http.url("/nothing-here")
    assert error_of(missing, private_ok) == f"could not fetch {missing}: HTTP 404 Not Found"
    broken = local_http.route("/broken", "oops", status=500, content_type="text/plain")
    assert error_of(broken, private_ok) == f"could not fetch {broken}: HTTP 500 Internal Server Error"


def test_non_text_content_types_are_refused(local_http, private_ok: Settings) -> None:
    png = local_http.route("/logo", b"\x89PNG\r\n\x1a\n" + bytes(100), content_type="image/png")
    assert error_of(png, private_ok) == f"could not fetch {png}: it is image/png, not a web page or plain text"
    pdf = local_http.route("/paper", b"%PDF-1.7", content_type="application/pdf")
    assert error_of(pdf, private_ok) == f"could not fetch {pdf}: it is application/pdf, not a web page or plain text"


def test_text_plain_xhtml_and_missing_content_type_are_accepted(local_http, private_ok: Settings) -> None:
    plain = local_http.route("/plain", PLAIN_TEXT, content_type="text/plain")
    untyped = local_http.route("/untyped", PLAIN_TEXT)
    xhtml = local_http.route("/xhtml", ARTICLE_HTML, content_type="application/xhtml+xml")
    assert read_source(plain, private_ok).text == PLAIN_TEXT
    page = fetch_url(untyped, private_ok)
    assert (page.status, page.content_type, page.text, page.url) == (200, None, PLAIN_TEXT, untyped)
    assert read_source(xhtml, private_ok).meta.author == "Sam Writer"


def test_html_served_as_plain_text_is_still_extracted(local_http, private_ok: Settings) -> None:
    url = local_http.route("/mislabelled", ARTICLE_HTML, content_type="text/plain")
    result = read_source(url, private_ok)
    assert "<html" not in result.text and result.meta.author == "Sam Writer"


def test_page_without_article_text(local_http, private_ok: Settings) -> None:
    url = local_http.route("/wall", "<html><body><nav><a href='/login'>Log in</a></nav></body></html>", content_type="text/html")
    assert error_of(url, private_ok) == f"could not fetch {url}: no article text found in the page"
    empty = local_http.route("/empty", "", content_type="text/plain")
    assert error_of(empty, private_ok) == f"could not fetch {empty}: the page is empty"


def test_declared_charsets_are_used_with_a_utf8_fallback(local_http, private_ok: Settings) -> None:
    sentence = "Le café est très bon, a déclaré le porte-parole."
    latin = local_http.route("/latin", sentence.encode("latin-1"), content_type="text/plain; charset=ISO-8859-1")
    meta_tag = local_http.route(
        "/meta-charset",
        f'<html><head><meta charset="windows-1252"></head><body><p>{sentence}</p></body></html>'.encode("cp1252"),
        content_type="text/html",
    )
    undeclared = local_http.route("/undeclared", sentence.encode("latin-1"), content_type="text/plain")
    bogus = local_http.route("/bogus", sentence.encode("utf-8"), content_type="text/plain; charset=no-such-charset")
    assert fetch_url(latin, private_ok).text == sentence
    assert sentence in fetch_url(meta_tag, private_ok).text
    assert fetch_url(undeclared, private_ok).text == sentence.encode("latin-1").decode("utf-8", errors="replace")
    assert "\ufffd" in fetch_url(undeclared, private_ok).text
    assert fetch_url(bogus, private_ok).text == sentence


def test_oversized_body_is_refused_up_front_by_content_length(local_http) -> None:
    settings = make_settings(allow_private_urls=True, max_fetch_bytes=10_000)
    url = local_http.route("/huge", "x" * 50_000, content_type="text/plain")
    assert error_of(url, settings) == f"could not fetch {url}: the page is 48.8 KB; the limit is 9.8 KB"


def test_oversized_streamed_body_is_cut_off(local_http) -> None:
    settings = make_settings(allow_private_urls=True, max_fetch_bytes=10_000)
    url = local_http.route("/stream", "x" * 50_000, content_type="text/plain", content_length=False)
    assert error_of(url, settings) == f"could not fetch {url}: the page is larger than the 9.8 KB limit"
    at_limit = local_http.route("/exact", "y" * 10_000, content_type="text/plain", content_length=False)
    assert fetch_url(at_limit, settings).text == "y" * 10_000


def test_slow_response_times_out(local_http) -> None:
    settings = make_settings(allow_private_urls=True, fetch_timeout=0.5)
    url = local_http.route("/slow", PLAIN_TEXT, content_type="text/plain", delay=5.0)
    started = time.monotonic()
    assert error_of(url, settings) == f"could not fetch {url}: timed out"
    assert time.monotonic() - started < 2.0


def test_trickling_body_hits_the_whole_fetch_deadline(local_http) -> None:
    # Each chunk arrives well within the timeout, but the whole body would take about 4 seconds.
    settings = make_settings(allow_private_urls=True, fetch_timeout=1.0)
    url = local_http.route("/drip", "z" * 2000, content_type="text/plain", chunk_size=100, drip=0.2)
    started = time.monotonic()
    assert error_of(url, settings) == f"could not fetch {url}: timed out"
    assert time.monotonic() - started < 2.5


def test_connection_refused_and_unknown_host(private_ok: Settings) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    message = error_of(url, private_ok)
    assert message.startswith(f"could not fetch {url}: could not connect (") and "refused" in message.lower()
    unknown = "http://no-such-host.invalid/story"
    assert error_of(unknown, private_ok) == f"could not fetch {unknown}: the host no-such-host.invalid was not found"


def test_host_name_is_kept_in_the_host_header_when_connecting_to_the_checked_address(local_http, private_ok: Settings) -> None:
    local_http.route("/plain", PLAIN_TEXT, content_type="text/plain")
    url = f"http://localhost:{local_http.port}/plain"
    page = fetch_url(url, private_ok)
    assert page.text == PLAIN_TEXT and page.url == url
    assert local_http.requests[-1].headers["host"] == f"localhost:{local_http.port}"
    assert read_source(url, private_ok).meta.source == "localhost"


# --- what a chat member reads, against what the operator reads ---------------------------------------


def test_a_chat_member_cannot_tell_a_private_address_a_closed_port_or_an_open_one(local_http) -> None:
    """Refused, closed, unknown: to the person who typed the URL all read the same, with no address the
    bot resolved and no setting; the operator's detail says which (and is what the log gets)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    open_port = local_http.route("/article", PLAIN_TEXT, content_type="text/plain")
    cases = {
        "http://10.0.0.5/admin": (make_settings(), "refusing a private address 10.0.0.5"),
        f"http://localhost:{local_http.port}/article": (make_settings(), "refusing a private address 127.0.0.1"),
        f"http://127.0.0.1:{closed}/": (make_settings(allowed_private_networks=["127.0.0.0/8"]), "could not connect"),
        "http://no-such-host.invalid/": (make_settings(), "was not found"),
    }
    for url, (settings, detail) in cases.items():
        with pytest.raises(SourceError) as caught:
            read_source(url, settings)
        assert str(caught.value) == f"could not fetch {url}: that address can't be fetched"
        assert detail in caught.value.detail
    redirect = local_http.route("/go", status=302, headers={"Location": "http://10.0.0.5/internal"})
    with pytest.raises(SourceError) as caught:
        read_source(redirect, make_settings(allowed_private_networks=["127.0.0.0/8"]))
    assert str(caught.value) == f"could not fetch {redirect}: that address can't be fetched"
    assert "10.0.0.5" in caught.value.detail
    assert read_source(open_port, make_settings(allowed_private_networks=["127.0.0.0/8"])).text  # the open one works
