"""Property: no protected name appears in any public export (JSONL, CSV, GeoJSON, every coarsening),
public page or public API response, and unpublished incidents never appear at all.

Hypothesis writes incidents whose persons have Latin, Cyrillic and Arabic names (with particles,
short names that are parts of other words, names in Russian case forms, upper case, full-width
letters, zero-width characters inside), puts those names into organisation names, outcomes,
perpetrators, legal references, outlet names and URL slugs, tells each incident through open and
confidential sources, marks some persons as public figures, and publishes some incidents. "Appears"
is decided by tests/security/public_names.py, written apart from the code under test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kolokol.export.public import PublicOptions, export_public, public_id
from kolokol.store import models
from kolokol.store.db import Database, open_database
from kolokol.web.app import create_app
from tests.export.public_data import Source, Story, build, group, mark_public_figure, org, person, publish, wipe
from tests.security.public_names import WORD, appearing, case_forms, clean, latin, protected_forms
from tests.web.auth_helpers import anonymous_client

LATIN_GIVEN = ["Aziz", "Rustam", "Dilnoza", "Ali", "Ann", "Said", "Kara", "José", "Ayşe", "Nur", "Gulnara"]
LATIN_FAMILY = ["Karimov", "Sharipova", "Usmonov", "Yılmaz", "Núñez", "O'Brien", "Alimov", "Tashkentova"]
CYR_GIVEN = ["Иван", "Анна", "Давлат", "Алёна", "Гульнара", "Тимур"]
CYR_FAMILY = ["Иванов", "Крылова", "Назаров", "Рахимова", "Ложкин", "Курбоналиев"]
ARABIC = ["محمد عبد الرحمن", "فاطمة الزهراء", "حسن بن علي"]
PARTICLES = ["", "", "", "al-", "bin ", "uulu ", "kyzy ", "van der "]
# Public figures come from their own pool: their names never share a word with a protected name.
FIGURES = ["Bakhrom Kholmatov", "Evgenia Chirikova", "Ильхом Джураев"]
LETTERS_LATIN = "abcdefghijklmnoprstuvyz"
LETTERS_CYR = "абвгдежзиклмнопрстуфхшэюя"
ZWSP = "\u200b"

# Words every public output holds whatever the data (keys, labels, page furniture): a random name
# equal to one of them would be "found" in the furniture, not in the data.
_FURNITURE_WORDS = """
action admin1 all and any api are article basis behalf blog body brand button case charset class
clear code colspan compatriots content coordinates count country css date dates day detention
device doctype domain each empty example false favicon feature featurecollection features fewer
filter fined footer for form fund geometry get group head header her his href html http https icon
image incident incidents independent initial input json kind kolokol label lang language latitude
lawyer legal level link longitude main maxlength meta method month name named nationality nav next
noindex none not null num only option org organization origin outcome outlet page pattern people
perpetrators person persons place placeholder point police precision previous properties pseudonym
public published record referrer released reports robots scale select selected shown since site
size sources static strong stylesheet submit summary svg table targets tbody test than the thead
this threat title top total true type types unnamed until utf value viewport was where width wire
with withheld within www xml year блог вернули паспорт фонд
"""
FURNITURE = frozenset(_FURNITURE_WORDS.split())


def _token(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=4, max_size=9).map(str.capitalize)


latin_name = st.builds(lambda g, p, f: f"{g} {p}{f}", st.one_of(st.sampled_from(LATIN_GIVEN), _token(LETTERS_LATIN)),
                       st.sampled_from(PARTICLES), st.one_of(st.sampled_from(LATIN_FAMILY), _token(LETTERS_LATIN)))
cyr_name = st.builds(lambda g, f: f"{g} {f}", st.one_of(st.sampled_from(CYR_GIVEN), _token(LETTERS_CYR)),
                     st.one_of(st.sampled_from(CYR_FAMILY), _token(LETTERS_CYR).map(lambda t: t + "ов")))
names = st.one_of(latin_name, cyr_name, st.sampled_from(ARABIC))


def _disguise(word: str, how: int) -> str:
    """One way a report (or an analyst) may write a name's word: as is, upper case, full width,
    with a zero-width space inside, transliterated, with Arabic vowel marks."""
    if how == 1:
        return word.upper()
    if how == 2:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    if how == 3 and len(word) > 3:
        return word[:2] + ZWSP + word[2:]
    if how == 4:
        return latin(word.lower()).capitalize()
    if how == 5 and any("\u0600" <= c <= "\u06ff" for c in word):
        return word[0] + "\u064f" + word[1:]
    return word


@st.composite
def name_form(draw: st.DrawFn, name: str) -> str:
    """The name, or one of its words in a case form, disguised."""
    words = name.replace("-", " ").split()
    if draw(st.booleans()):
        return " ".join(_disguise(w, draw(st.integers(0, 5))) for w in words)
    word = draw(st.sampled_from([w for w in words if len(w) >= 3] or words))
    form = draw(st.sampled_from(sorted(case_forms(word))))
    return _disguise(form[:1].upper() + form[1:], draw(st.integers(0, 5)))


@dataclass
class World:
    stories: list[Story]
    persons: set[str] = field(default_factory=set)
    figures_in_open: dict[int, set[str]] = field(default_factory=dict)  # story -> figures an open source names
    published: set[int] = field(default_factory=set)
    internal: set[int] = field(default_factory=set)
    figures: set[str] = field(default_factory=set)
    markers: dict[int, str] = field(default_factory=dict)  # story -> a word only that story's outlet holds


@st.composite
def worlds(draw: st.DrawFn) -> World:
    stories: list[Story] = []
    world = World(stories=stories)
    figures = set(draw(st.lists(st.sampled_from(FIGURES), max_size=2, unique=True)))
    world.figures = figures
    for n in range(draw(st.integers(1, 4))):
        victims = draw(st.lists(names, min_size=1, max_size=3, unique=True))
        world.persons.update(victims)
        who = draw(st.sampled_from(victims))
        figure = draw(st.sampled_from(sorted(figures))) if figures and draw(st.booleans()) else None
        targets = [person(v, draw(st.sampled_from([None, "TJ", "UZ", "KG"]))) for v in victims]
        if draw(st.booleans()):
            targets.append(org(f"Фонд {draw(name_form(who))}" if draw(st.booleans())
                               else f"{draw(name_form(who))} Foundation"))
        if draw(st.booleans()):
            targets.append(group("relatives of " + who, draw(st.integers(1, 12)), "TJ"))
        outcome = draw(st.sampled_from([None, "released", "{} вернули паспорт", "{}'s lawyer was fined",
                                        "held with {}"]))
        if outcome and "{}" in outcome:
            outcome = outcome.format(draw(name_form(draw(st.sampled_from(victims)))))
        marker = f"Outlet{uuid.uuid4().hex[:8]}"
        world.markers[n] = marker.lower()
        sources = []
        open_figure = False
        for k in range(draw(st.integers(1, 3))):
            confidential = draw(st.booleans())
            outlet = draw(st.sampled_from([marker, f"Blog of {draw(name_form(who))}", f"{marker} Wire"]))
            slug = latin(who.lower()).replace(" ", "-")
            url = draw(st.sampled_from([None, f"https://news.example.org/2024/{slug}",
                                        f"https://{slug.replace(chr(39), '')}.example.org/p/{k}"]))
            src_targets = list(targets)
            if figure is not None and draw(st.booleans()):
                src_targets = [*targets, person(figure, "TJ")]
                open_figure = open_figure or not confidential
            sources.append(Source(outlet=outlet, url=url, published="2024-03-1" + str(k),
                                  confidential=confidential, targets=src_targets,
                                  date=draw(st.sampled_from([None, "2024-03-0" + str(k + 1)]))))
        if figure is not None and open_figure:
            world.figures_in_open[n] = {figure}
        perpetrators = [{"name": "police", "country": "KZ"}]
        if draw(st.booleans()):
            perpetrators.append({"name": f"Compatriots of {draw(name_form(who))}", "country": "TJ"})
        stories.append(Story(types=[draw(st.sampled_from(["detention", "threat", "abduction"]))],
                             date="2024-03-05", country=draw(st.sampled_from(["KZ", "TR", "RU"])),
                             place=draw(st.sampled_from([None, "Almaty", "Istanbul", "Москва"])),
                             targets=targets, perpetrators=perpetrators, outcome=outcome,
                             legal_basis=draw(st.sampled_from([[], ["Article 431"], [f"Article 7 ({who} case)"]])),
                             sources=sources))
        visibility = draw(st.sampled_from(["public", "public", "internal", "restricted"]))
        if visibility == "public":
            world.published.add(n)
        elif visibility == "internal":
            world.internal.add(n)
    forms = protected_forms(world.persons)
    assume(not (forms & FURNITURE))
    assume(not (forms & protected_forms(FIGURES)))
    return world


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, TestClient]]:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('public-names') / 'kolokol.db'}")
    yield db, anonymous_client(create_app(db))
    db.close()


def _outputs(db: Database, client: TestClient, options: PublicOptions) -> Iterator[tuple[str, str]]:
    """(what, text) of every public output: the export formats, the pages and the API."""
    for fmt in ("jsonl", "csv", "geojson"):
        out = io.StringIO()
        export_public(db, fmt, out, options=options)
        yield f"export {fmt}", out.getvalue()
    listing = client.get("/api/public/incidents")
    assert listing.status_code == 200, listing.text
    yield "/api/public/incidents", json.dumps(listing.json(), ensure_ascii=False)
    page = client.get("/public")
    assert page.status_code == 200
    yield "/public", page.text
    for record in listing.json()["incidents"]:
        for path in (f"/public/incidents/{record['id']}", f"/api/public/incidents/{record['id']}"):
            r = client.get(path)
            assert r.status_code == 200, (path, r.text)
            yield path, r.text if path.startswith("/public") else json.dumps(r.json(), ensure_ascii=False)


def _context(text: str, found: set[str]) -> list[str]:
    """The lines of `text` where the found forms are (after the same cleaning as the checker)."""
    return [line[:600] for line in clean(text).splitlines() if set(WORD.findall(line)) & found
            or {latin(w) for w in WORD.findall(line)} & found][:5]


def _without_figures(text: str, figures: set[str]) -> str:
    for figure in figures:
        text = text.replace(figure, " ")
    return text


EXAMPLES = int(os.environ.get("KOLOKOL_PROPERTY_EXAMPLES", "25"))  # more for a deeper run by hand


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.filter_too_much])
@given(world=worlds(), date_level=st.sampled_from(["day", "month", "year"]),
       place_level=st.sampled_from(["place", "admin1", "country"]), min_group=st.integers(1, 6))
def test_no_protected_name_in_any_public_output(stage: tuple[Database, TestClient], world: World, date_level: str,
                                                place_level: str, min_group: int) -> None:
    db, client = stage
    wipe(db)
    ids = build(db, world.stories)
    publish(db, [ids[n] for n in world.published])
    publish(db, [ids[n] for n in world.internal], visibility="internal")
    for figure in world.figures:
        with contextlib.suppress(AssertionError):  # drawn but never written into a report
            mark_public_figure(db, figure)
    forms = protected_forms(world.persons)
    with db.session() as s:
        hidden = {public_id(s.get(models.Incident, ids[n]).key) for n in range(len(ids)) if n not in world.published}
    hidden_markers = {world.markers[n] for n in range(len(ids)) if n not in world.published}
    options = PublicOptions(coarsen_date=date_level, coarsen_place=place_level, min_group=min_group)
    for what, text in _outputs(db, client, options):
        found = appearing(_without_figures(text, world.figures), forms)
        assert not found, f"{what} shows {found}: {_context(text, found)}\nnames: {sorted(world.persons)}"
        assert not any(pid in text for pid in hidden), f"{what} shows an unpublished incident"
        assert not any(m in text.lower() for m in hidden_markers), f"{what} shows an unpublished incident's source"
    # Per incident: a public figure is named only where an open source of that incident names him.
    out = io.StringIO()
    export_public(db, "jsonl", out, options=options)
    records = {r["id"]: r for r in map(json.loads, out.getvalue().splitlines())}
    with db.session() as s:
        by_story = {n: public_id(s.get(models.Incident, ids[n]).key) for n in world.published}
    assert set(records) == set(by_story.values())
    for n, pid in by_story.items():
        text = json.dumps(records[pid], ensure_ascii=False)
        for figure in world.figures - world.figures_in_open.get(n, set()):
            assert not appearing(text, protected_forms([figure])), (figure, records[pid])


def test_the_independent_checker_sees_what_it_must() -> None:
    """The checker itself: it finds case forms, transliterations and disguises, and ignores other words."""
    forms = protected_forms(["Анна Иванова", "Rustam al-Karimov", "محمد عبد الرحمن"])
    assert appearing("Ивановой дали срок", forms) == {"ивановои"}
    assert appearing("IVANOVU", forms) == {"ivanovu"}
    assert appearing("Ka\u200brimov's case", forms) == {"karimov"}
    assert appearing("Ｒｕｓｔａｍ", forms) == {"rustam"}
    assert appearing("مُحَمَّد", forms) == {"محمد"}
    assert not appearing("al-Jazeera, Karakol and Annapurna", forms)
