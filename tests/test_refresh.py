"""The scoping refresh: idempotent (a second run writes nothing), a broken source reported while the others land
and its old snapshot file is kept, what-changed reports, and HTTP sources with retries against a local server."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from common.errors import InputError
from flows.params import RefreshParams
from flows.refresh_flow import refresh_flow
from scoping.store.refresh import FetchError, fetch, load_sources

AUTHORITIES = (
    "authority_code,name,aim,required,population_10_17\n"
    "E06000001,Authority one,statutory,true,12000\n"
    "E06000002,Authority two,preventative,false,8000\n"
)
AREAS = (
    "area_id,name,authority_code,easting,northing,demand\n"
    "A1,Town one,E06000001,421500,560000,14\n"
    "A2,Town two,E06000002,422500,560000,9\n"
)
SOURCES = """\
sources:
  - name: authorities
    url: data/authorities.csv
    schema: authorities
  - name: areas
    url: data/areas.csv
    schema: areas
"""


def write_sources(root: Path, text: str = SOURCES, authorities: str = AUTHORITIES, areas: str = AREAS) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "authorities.csv").write_text(authorities, encoding="utf-8")
    (root / "data" / "areas.csv").write_text(areas, encoding="utf-8")
    (root / "sources.yaml").write_text(text, encoding="utf-8")
    return root / "sources.yaml"


def listing(store: Path) -> dict[str, bytes]:
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()}


def run(sources: Path, store: Path, **options):
    state = refresh_flow(
        params=RefreshParams(sources_file=str(sources), store_dir=str(store), **options), return_state=True
    )
    return state, state.result(raise_on_failure=False)


def test_sources_file_errors_are_located(tmp_path):
    path = write_sources(tmp_path, SOURCES.replace("schema: areas", "schema: postcodes"))
    with pytest.raises(InputError) as caught:
        load_sources(path)
    assert str(caught.value.problems[0]).startswith(f"error: {path}:5: schema: expected one of hubs,")


def test_a_second_run_with_no_change_writes_nothing(tmp_path, prefect_harness):
    sources, store = write_sources(tmp_path), tmp_path / "store"
    state, first = run(sources, store)
    assert state.is_completed() and first.exit_code == 0
    assert first.summary["changed"] == ["areas", "authorities"]
    snapshot = first.summary["snapshot"]
    assert (store / "snapshots" / snapshot / "authorities.csv").read_text() == AUTHORITIES
    before = listing(store)
    state, second = run(sources, store)
    assert state.is_completed() and second.summary["snapshot"] is None and second.written == []
    assert listing(store) == before


def test_a_broken_source_is_reported_the_others_land_and_its_old_file_is_kept(tmp_path, prefect_harness):
    sources, store = write_sources(tmp_path), tmp_path / "store"
    _, first = run(sources, store)
    # authorities: an indicator moves and an authority is added; areas: a row goes bad
    write_sources(
        tmp_path,
        authorities=AUTHORITIES.replace("8000", "8400") + "E06000003,Authority three,both,false,5000\n",
        areas=AREAS.replace(",9\n", ",nine\n"),
    )
    state, second = run(sources, store)
    assert state.is_failed() and second.exit_code == 2
    assert second.messages == [
        f"error: {tmp_path / 'data' / 'areas.csv'}:3: demand: expected a whole number, got 'nine'"
    ]
    new = second.summary["snapshot"]
    assert new and new != first.summary["snapshot"]
    snapshot = store / "snapshots" / new
    assert "E06000003" in (snapshot / "authorities.csv").read_text()  # the good source landed
    assert (snapshot / "areas.csv").read_text() == AREAS  # the broken one kept its last good file
    assert (store / "snapshots" / first.summary["snapshot"] / "areas.csv").read_text() == AREAS
    latest = json.loads((store / "latest.json").read_text())
    assert latest["snapshot"] == new and latest["previous"] == first.summary["snapshot"]
    report = json.loads((store / "reports" / f"{new}.json").read_text())["changes"]
    assert report["authorities"]["status"] == "changed"
    assert report["authorities"]["added"] == ["E06000003"]
    assert report["authorities"]["moved"] == [
        {"key": "E06000002", "column": "population_10_17", "old": 8000, "new": 8400}
    ]
    assert report["areas"]["status"] == "rejected, previous snapshot kept"
    markdown = (store / "reports" / f"{new}.md").read_text()
    assert "E06000002 population_10_17: 8000 -> 8400" in markdown and "rejected: error:" in markdown
    # broken again, nothing else changed: nothing new is written
    before = listing(store)
    state, third = run(sources, store)
    assert third.exit_code == 2 and third.summary["snapshot"] is None and listing(store) == before


def test_a_source_broken_from_the_start_is_left_out_and_reported(tmp_path, prefect_harness):
    sources = write_sources(tmp_path, areas="area_id,name\nA1,Town\n")
    _, outcome = run(sources, tmp_path / "store")
    assert outcome.exit_code == 2 and "areas.csv:1:" in outcome.messages[0]
    assert sorted(json.loads((tmp_path / "store" / "latest.json").read_text())["sources"]) == ["authorities"]


class _Handler(http.server.BaseHTTPRequestHandler):
    """/flaky answers 503 twice then the file; /gone is 404; /good is the file. Counts requests per path."""

    requests: dict[str, int] = {}
    body = AUTHORITIES.encode()

    def do_GET(self):
        count = self.requests[self.path] = self.requests.get(self.path, 0) + 1
        if self.path == "/gone" or (self.path == "/flaky" and count <= 2):
            self.send_response(404 if self.path == "/gone" else 503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1 (an ephemeral port), stopped after the test; daemon thread."""
    _Handler.requests = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_fetch_retries_server_errors_with_backoff_and_not_client_errors(server):
    waits: list[float] = []
    assert fetch(f"{server}/flaky", attempts=3, backoff=0.5, timeout=5, sleep=waits.append) == AUTHORITIES.encode()
    assert _Handler.requests["/flaky"] == 3 and waits == [0.5, 1.0]
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(f"{server}/gone", attempts=3, backoff=0.5, timeout=5, sleep=waits.append)
    assert _Handler.requests["/gone"] == 1


def test_http_sources_in_a_refresh(tmp_path, server, prefect_harness):
    text = (
        f"sources:\n  - {{name: authorities, url: '{server}/flaky', schema: authorities}}\n"
        f"  - {{name: gone, url: '{server}/gone', schema: authorities}}\n"
        f"  - {{name: areas, url: data/areas.csv, schema: areas}}\n"
    )
    sources = write_sources(tmp_path, text)
    state, outcome = run(sources, tmp_path / "store", attempts=3, backoff_seconds=0.01)
    assert outcome.exit_code == 2
    assert outcome.messages == [f"error: {server}/gone:0: -: could not fetch after 1 tries: HTTP 404 Not Found"]
    snapshot = tmp_path / "store" / "snapshots" / outcome.summary["snapshot"]
    assert (snapshot / "authorities.csv").read_text() == AUTHORITIES
    assert sorted(p.name for p in snapshot.iterdir()) == ["areas.csv", "authorities.csv", "manifest.json"]
