"""``GET preview/{filename}`` with a file name built to escape: in the URL as a client sends it
(dot segments, percent-encodings of slashes and dots, NUL, over-long names, look-alikes), and
every hostile name of the bodies' corpus percent-encoded so that it arrives exactly as written.

Whatever arrives, the answer is a 400 or 404 with ``{"error": "..."}``, never a 5xx; no file
outside the migrations directory is opened and none of the bait's text comes back.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.conftest import BASE, files_opened
from tests.api.test_hostile_input import HOSTILE_NAMES

pytestmark = pytest.mark.django_db

PREVIEW = BASE + "preview/"
BAIT_TEXT = "CREATE TABLE pwned"

# What follows "preview/" in the request line, as a client may send it (the server decodes it).
RAW_PATHS = {
    "parent": "../outside.sql",
    "parent-twice": "../../outside.sql",
    "parent-then-back": "../migrations/001_a.sql",
    "dot-segment": "./001_a.sql",
    "encoded-slash": "..%2foutside.sql",
    "encoded-slash-upper": "..%2Foutside.sql",
    "encoded-dots": "%2e%2e/outside.sql",
    "all-encoded": "%2e%2e%2foutside.sql",
    "double-encoded": "%252e%252e%252foutside.sql",
    "deep-etc-passwd": "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "absolute": "/etc/passwd",
    "absolute-encoded": "%2fetc%2fpasswd",
    "absolute-bait": "{bait}",
    "absolute-bait-encoded": "{bait_encoded}",
    "backslash": "..\\outside.sql",
    "backslash-encoded": "..%5coutside.sql",
    "unc": "%5c%5cserver%5cshare%5cx.sql",
    "nul": "001_a.sql%00.txt",
    "nul-only": "%00",
    "nul-before-parent": "%00/../outside.sql",
    "newline": "001_a.sql%0a",
    "overlong-utf8-dots": "%c0%ae%c0%ae%c0%afoutside.sql",
    "invalid-utf8": "%ff%fe.sql",
    "fullwidth-solidus": "..%ef%bc%8foutside.sql",
    "division-slash": "..%e2%88%95outside.sql",
    "fullwidth-dots": "%ef%bc%8e%ef%bc%8e%2foutside.sql",
    "cyrillic-a": "001_%d0%b0.sql",
    "symlink-out": "link.sql",
    "symlink-dir": "outdir/outside.sql",
    "too-long": "a" * 300 + ".sql",
    "very-long": "b" * 100_000,
    "empty": "",
    "semicolon": "001_a.sql;../outside.sql",
}


@pytest.fixture
def trap(target_db, tmp_path):
    """A migration inside the directory; outside it, bait that must never be read, reachable
    from the directory through a symlinked file and a symlinked folder."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    outdir = tmp_path / "outdir"
    outdir.mkdir()
    bait = tmp_path / "outside.sql"
    for path in (bait, outdir / "outside.sql"):
        path.write_text(f"-- Up Migration\n{BAIT_TEXT} (id int);\n")
    (target_db.directory / "link.sql").symlink_to(bait)
    (target_db.directory / "outdir").symlink_to(outdir)
    return target_db, bait


def assert_refused_unread(response, target_db, opened) -> None:
    assert response.status_code in (400, 404), response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["error"], str) and response.json()["error"]
    assert BAIT_TEXT not in response.content.decode()
    directory = target_db.directory.resolve()
    assert [path for path in opened if not path.is_relative_to(directory)] == []


def test_files_opened_sees_what_a_preview_reads(api, trap):
    """The watch of the tests below works: a real preview is seen reading its file."""
    target_db, _ = trap
    with files_opened() as opened:
        response = api.get(PREVIEW + "001_a.sql")
    assert response.status_code == 200 and response.json()["filename"] == "001_a.sql"
    assert target_db.directory.resolve() / "001_a.sql" in opened


@pytest.mark.parametrize("raw", RAW_PATHS.values(), ids=RAW_PATHS.keys())
def test_raw_paths(api, trap, raw):
    target_db, bait = trap
    url = PREVIEW + raw.format(bait=bait, bait_encoded=quote(str(bait), safe=""))
    with files_opened() as opened:
        response = api.get(url, {"highlight": "1"})
    assert_refused_unread(response, target_db, opened)


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_hostile_names_arrive_as_written_and_are_refused(api, trap, name):
    target_db, bait = trap
    # A lone surrogate has no UTF-8 form: its surrogatepass bytes are what a client could send.
    encoded = name.format(bait=bait).encode("utf-8", "surrogatepass")
    with files_opened() as opened:
        response = api.get(PREVIEW + quote(encoded, safe=""))
    assert_refused_unread(response, target_db, opened)


def test_a_name_reaches_the_service_exactly(api, trap):
    """``%2F`` is decoded to a slash before routing: the name has a separator, a JSON 400 (not
    the resolver's 404), and the message says why."""
    response = api.get(PREVIEW + "..%2Foutside.sql")
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid migration name: it contains a path separator."}
