"""Every page and its JSON twin, search facets and full text on both backends, escaping, headers,
the OpenAPI schema, and `kolokol serve` refusing a public address."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from kolokol.errors import KolokolError
from kolokol.search import (
    SearchError,
    SearchQuery,
    highlight_segments,
    reindex_incidents,
    search_incidents,
)
from kolokol.security.roles import SYSTEM
from kolokol.store import models
from kolokol.store.db import Database
from kolokol.web.app import check_host


def ids_for(client: TestClient, **params: Any) -> set[int]:
    r = client.get("/api/incidents", params=params)
    assert r.status_code == 200, r.text
    return {row["id"] for row in r.json()["incidents"]}


def incident_with(web_db: Database, word: str) -> int:
    with web_db.session() as s:
        for m in s.scalars(select(models.Mention).where(models.Mention.current.is_(True))):
            if word in m.evidence and m.incident_id:
                return m.incident_id
    raise AssertionError(word)


def test_dashboard_html_and_json(client: TestClient) -> None:
    data = client.get("/api/").json()
    assert data["incidents"] == 4 and data["reports"] == 3  # w3 tells two acts: Moscow, then Dushanbe
    assert {c["value"] for c in data["by_country"]} == {"TR", "KZ", "RU", "TJ"}
    assert {"detention", "deportation"} <= {c["value"] for c in data["by_type"]}
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Latest incidents" in page.text and "/incidents?country=KZ" in page.text


def test_facets(client: TestClient, web_db: Database) -> None:
    almaty = incident_with(web_db, "Kenzhebaev")
    moscow = incident_with(web_db, "Назаров")
    istanbul = incident_with(web_db, "Rahmonzoda")
    dushanbe = incident_with(web_db, "Душанбе")
    assert ids_for(client) == {almaty, moscow, istanbul, dushanbe}
    assert ids_for(client, country="kz") == {almaty}
    assert ids_for(client, country="TJ") == {dushanbe}
    assert ids_for(client, type="deportation") == {moscow, istanbul}
    assert ids_for(client, status="new") == {almaty, moscow, istanbul, dushanbe}
    assert ids_for(client, status="accepted") == set()
    assert ids_for(client, since="2024") == {almaty, istanbul}
    assert ids_for(client, until="2024-03") == {moscow, istanbul, dushanbe}
    assert ids_for(client, since="2024-03-04", until="2024-04-30") == {almaty}
    assert ids_for(client, min_sources=1) == {almaty, moscow, istanbul, dushanbe}
    assert ids_for(client, min_sources=2) == set()
    data = client.get("/api/incidents", params={"type": "detention"}).json()
    assert data["total"] == 3 and {"value": "KZ", "count": 1} in data["facets"]["country"]


def test_full_text(client: TestClient, web_db: Database) -> None:
    almaty = incident_with(web_db, "Kenzhebaev")
    moscow = incident_with(web_db, "Назаров")
    istanbul = incident_with(web_db, "Rahmonzoda")
    assert ids_for(client, q="Kenzhebaev") == {almaty}
    assert ids_for(client, q="kenzh") == {almaty}  # prefix, any case
    assert moscow in ids_for(client, q="назаров") and almaty not in ids_for(client, q="назаров")  # Cyrillic
    assert ids_for(client, q="police Istanbul") == {istanbul}  # every word must match
    assert ids_for(client, q="police", country="TR") == {istanbul}
    assert ids_for(client, q="nobodyknowsthisword") == set()
    # FTS operators and quotes in user input are plain words, never syntax errors.
    assert ids_for(client, q='"Kenzhebaev* ( - :') == {almaty}
    assert ids_for(client, q='Kenzhebaev OR Rahmonzoda') == set()  # OR is a word here, not an operator
    assert ids_for(client, q="*:& | !") == ids_for(client) and len(ids_for(client)) == 4  # no words: no filter


def test_index_rebuilds_itself_when_out_of_step(web_db: Database) -> None:
    # The suite's databases are encrypted: full text goes through the blind index (search_terms).
    with web_db.session() as s:
        s.execute(text("DELETE FROM search_terms"))
    result = search_incidents(web_db, SearchQuery.parse(q="Rahmonzoda"), user=SYSTEM)
    assert result.total == 1
    assert reindex_incidents(web_db) == 4
    assert reindex_incidents(web_db, [result.incidents[0].id]) == 1
    with web_db.session() as s:
        assert s.scalar(text("SELECT count(DISTINCT incident_id) FROM search_terms")) == 4


def test_search_page_keeps_filter_state_in_the_url(client: TestClient, web_db: Database) -> None:
    page = client.get("/incidents", params={"q": "police", "type": "detention", "country": "KZ"})
    assert page.status_code == 200
    assert 'value="police"' in page.text and '<option value="detention" selected>' in page.text
    assert f'href="/incidents/{incident_with(web_db, "Kenzhebaev")}"' in page.text
    assert "/api/incidents?q=police&amp;type=detention&amp;country=KZ" in page.text  # its JSON twin
    assert "<strong>1</strong> incident," not in page.text and "<strong>1</strong> incident" in page.text


def test_pagination(web_db: Database) -> None:
    first = search_incidents(web_db, SearchQuery.parse(page=1), page_size=2, user=SYSTEM)
    second = search_incidents(web_db, SearchQuery.parse(page=2), page_size=2, user=SYSTEM)
    assert (first.total, first.pages, len(first.incidents), len(second.incidents)) == (4, 2, 2, 2)
    assert SearchQuery.parse(q="x", page=2).params(page=3) == {"q": "x", "page": "3"}


@pytest.mark.parametrize("params", [{"type": "bogus"}, {"country": "Kyrgyzstan"}, {"since": "soon"},
                                    {"min_sources": "many"}, {"page": "0"}, {"status": "x"}])
def test_bad_filters_are_helpful_errors(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/incidents", params=params)
    assert r.status_code == 400 and r.json()["error"]["code"] == "search"
    page = client.get("/incidents", params=params)
    assert page.status_code == 400 and "Something is wrong" in page.text
    with pytest.raises(SearchError):
        SearchQuery.parse(**params)


def test_incident_page_and_json(client: TestClient, web_db: Database) -> None:
    iid = incident_with(web_db, "Rahmonzoda")
    data = client.get(f"/api/incidents/{iid}").json()
    assert data["country"] == "TR" and "detention" in data["types"]
    assert {f["name"] for f in data["fields"]} >= {"types", "date", "country", "targets", "outcome"}
    assert data["sources"] and data["sources"][0]["outlet"] == "Bosphorus Daily"
    mention = data["mentions"][0]
    assert mention["report"]["outlet"] == "Bosphorus Daily" and mention["report"]["published"] == "2024-03-05"
    report = client.get(f"/api/reports/{mention['report']['id']}").json()
    for span in mention["spans"]:  # offsets point into the report's clean text
        assert report["text"][span["start"]:span["end"]] == span["text"]
    assert any(s["field"] == "targets" and s["text"] == "Zafar Rahmonzoda" for s in mention["spans"])
    page = client.get(f"/incidents/{iid}")
    assert page.status_code == 200
    assert '<mark class="ev" data-fields="targets" title="targets">Zafar Rahmonzoda</mark>' in page.text
    assert "Bosphorus Daily" in page.text and "2024-03-05" in page.text
    assert 'rel="noreferrer noopener"' in page.text
    assert client.get("/api/incidents/99999").status_code == 404
    assert client.get("/incidents/99999").status_code == 404


def test_conflicting_values_side_by_side(client: TestClient, web_db: Database) -> None:
    iid = incident_with(web_db, "Rahmonzoda")
    with web_db.session() as s:
        inc = s.get(models.Incident, iid)
        assert inc is not None
        summary = dict(inc.summary)
        values = dict(summary["values"])
        values["date"] = [{"value": "2024-03-03", "sources": 1, "outlets": ["Bosphorus Daily"], "reports": []},
                          {"value": "2024-03-02", "sources": 1, "outlets": ["Other Outlet"], "reports": []}]
        inc.summary = {**summary, "values": values}
    try:
        data = client.get(f"/api/incidents/{iid}").json()
        date = next(f for f in data["fields"] if f["name"] == "date")
        assert date["conflict"] and [v["value"] for v in date["values"]] == ["2024-03-03", "2024-03-02"]
        page = client.get(f"/incidents/{iid}").text
        row = page[page.index('data-field="date"'):]
        row = row[:row.index("</tr>")]
        assert "conflict" in row and "2024-03-03" in row and "2024-03-02" in row and "Other Outlet" in row
    finally:
        with web_db.session() as s:
            inc = s.get(models.Incident, iid)
            assert inc is not None
            inc.summary = summary


def test_report_page_and_json_escape_html(client: TestClient, web_db: Database) -> None:
    with web_db.session() as s:
        rid = s.scalar(select(models.Report.id).where(models.Report.source_id == "web02"))
    data = client.get(f"/api/reports/{rid}").json()
    assert "<script>alert('xss')</script>" in data["text"] and data["mentions"]
    for url in (f"/reports/{rid}", f"/incidents/{incident_with(web_db, 'Kenzhebaev')}", "/incidents", "/"):
        page = client.get(url).text
        assert "<script>alert" not in page, url
    page = client.get(f"/reports/{rid}").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page  # the title too
    assert "<mark class=\"ev\"" in page
    search = client.get("/incidents", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)" not in search and "&lt;script&gt;alert(1)&lt;/script&gt;" in search
    assert client.get("/api/reports/99999").status_code == 404 and client.get("/reports/99999").status_code == 404


def test_highlight_segments_handles_overlaps_and_bad_spans() -> None:
    body = "Ann was detained in Oslo."
    spans = [{"field": "incident", "start": 0, "end": 25, "text": body},
             {"field": "targets", "start": 0, "end": 3, "text": "Ann"},
             {"field": "types:detention", "start": 8, "end": 16, "text": "detained"},
             {"field": "place", "start": 20, "end": 24, "text": "Oslo"},
             {"field": "country", "start": 20, "end": 24, "text": "Oslo"},
             {"field": "outcome", "start": 3, "end": 99, "text": None},  # out of range: left out
             {"field": "date", "start": 0, "end": 3, "text": "Bob"}]  # does not quote the text: left out
    segments = highlight_segments(body, spans)
    assert "".join(s["text"] for s in segments) == body
    assert [(s["text"], s["fields"]) for s in segments if s["fields"]] == [
        ("Ann", ["targets"]), ("detained", ["types"]), ("Oslo", ["country", "place"])]
    assert all(s["sentence"] for s in segments[:-1])


def test_security_headers_and_no_cdn(client: TestClient) -> None:
    for url in ("/", "/api/", "/incidents", "/static/kolokol.css", "/missing"):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert client.get("/").headers["cache-control"] == "no-store"
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404  # CDN-loading UIs
    page = client.get("/").text
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_openapi_lists_every_json_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/api/", "/api/incidents", "/api/incidents/{incident_id}", "/api/reports/{report_id}",
            "/api/incidents/{incident_id}/visibility", "/api/account"} <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/incidents"]["get"]["parameters"]}
    assert params == {"q", "type", "country", "place", "perpetrator", "target", "nationality", "status", "since",
                      "until", "min_sources", "page", "view"}
    from kolokol.web.routes import pages

    html_routes = {r.path for r in pages.router.routes}  # type: ignore[attr-defined]
    assert {"/", "/incidents", "/incidents/{incident_id}", "/reports/{report_id}",
            "/incidents/{incident_id}/visibility"} == html_routes
    for path in html_routes:  # every page has its twin
        assert "/api" + path in schema["paths"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    assert check_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_serve_refuses_a_public_host_until_an_admin_exists(host: str) -> None:
    with pytest.raises(KolokolError, match="no admin account exists yet"):
        check_host(host)
    assert check_host(host, admins=1) == host.strip("[]")


def test_cli_serve_refuses_a_public_host(tmp_path: Any) -> None:
    from kolokol.cli import app

    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0
    assert isinstance(result.exception, KolokolError)
    assert "no admin account exists yet" in str(result.exception)
    assert "\n" not in str(result.exception)
    assert not (tmp_path / "x.db").exists()  # refused before opening the database


def test_full_text_without_the_clear_index_when_fields_are_encrypted(web_db: Database) -> None:
    assert web_db.keys.encrypted
    assert reindex_incidents(web_db) == 4
    with web_db.session() as s:  # nothing written in clear (the blind index: tests/security)...
        assert s.scalar(text("SELECT count(*) FROM incident_search")) == 0
        assert s.scalar(text("SELECT count(*) FROM search_terms")) > 0
    found = search_incidents(web_db, SearchQuery.parse(q="назаров"), user=SYSTEM)  # ...and search still works
    assert "Журналист " in [r.evidence[:10] for r in found.incidents]
