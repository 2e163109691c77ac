"""Actor resolution: one actor per person, organisation or state body across scripts, transliteration
systems and Russian gendered and inflected surname forms (Rozhkov / Рожков / Rojkov; Kuleshov /
Kuleshova; Japarov / Zhaparov; Red Roof / Krasnaya Krysha / Красная крыша).

Each actor has an alias list; each automatic link (mention -> actor, alias -> actor) has a
confidence: 1.0 for the same folded name, a lexicon alias group or a report that writes "X (Y)",
0.85 for a full name that matches up to spelling, 0.7 for a surname alone. "None of these" is an
answer: a surname that fits two actors (Kuleshov: Ilya or Yulia?) gets an actor of its own rather
than a guess.

Analysts confirm, merge and split actors. Their decisions are alias rows with `source="human"` and
`actors.confirmed`; later runs never move a human alias, never merge a confirmed actor
automatically, and merging (resolve/merge.py) treats two names an analyst put in different actors as
different people even when the spelling rule says otherwise.

Name indexes are blind: `actors.name_index`, `actor_aliases.alias_index` / `surname_index` and the
merge blocking keys hold an HMAC-SHA256 of the folded name, never the name itself, so that once
names are encrypted at rest (security issue) the indexes still work and leak no name. The key is
the secret index key of the database whose session is open (its keyring, security/keys.py); only a
plaintext database (KOLOKOL_ENCRYPTION=off) uses `DEFAULT_INDEX_KEY`, whose hashes are pseudonyms,
not secrets (a dictionary of names can be hashed). A new index key (`kolokol key rotate`) is
followed by `reindex_actors` and a merge-key rebuild.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kolokol.errors import KolokolError, NotFound
from kolokol.extract.names import fold_name, name_tokens
from kolokol.lexicon import load_lexicon
from kolokol.security.roles import AccessDenied, Permission, UserInfo, can
from kolokol.store import models
from kolokol.store.types import current_index_key

DEFAULT_INDEX_KEY = b"kolokol-blind-index-v1"
_index_key = DEFAULT_INDEX_KEY

STRONG_SOURCES = frozenset({"report", "lexicon", "human"})
FULL, INITIAL, SURNAME = 1.0, 0.85, 0.7


def set_index_key(key: bytes) -> None:
    """Set the key used outside any database session (a database's own secret key, from its
    keyring, is bound by `Database.session()` and takes precedence: store/types.py)."""
    global _index_key
    _index_key = bytes(key)


def blind_index(value: str, purpose: str = "name") -> str:
    """Keyed hash (HMAC-SHA256, hex) of a folded value: an index that never stores the name."""
    return _keyed_hash(current_index_key() or _index_key, value, purpose)


@lru_cache(maxsize=200_000)
def _keyed_hash(key: bytes, value: str, purpose: str) -> str:
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------- name analysis

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’ʼ\-][^\W\d_]+)*")
_PATRONYMIC_RE = re.compile(r"(ovich|evich|ovna|evna|ichna|ich|ogli|ogly|ugli)$")
_RU_ENDINGS = ("ogo", "omu", "imi", "ami", "iah", "ah", "ih", "oi", "ei", "ii", "im", "om", "ym", "ia",
               "a", "i", "e", "u", "o", "y")
_LOWER_WORDS = frozenset({"bin", "ibn", "al", "el", "de", "van", "von", "der", "la", "le", "di", "da", "du",
                          "dos", "ter"})


@cache
def _particles() -> frozenset[str]:
    words = load_lexicon("names.yaml").get("name_particles", []) or []
    return frozenset(t for w in words for t in name_tokens(str(w))) | {"kizi", "uulu", "uli", "ogli", "ugli"}


@cache
def _first_name_canon() -> dict[str, str]:
    """Folded spelling of a first name -> folded usual spelling (Alexei, Aleksey, Oleksii -> aleksi)."""
    table: dict[str, str] = {}
    for gender in ("male", "female"):
        for entry in load_lexicon("names.yaml")["first_names"].get(gender, []) or []:
            variants = [entry] if isinstance(entry, str) else list(entry)
            canon = stem(fold_name(str(variants[0])))
            for v in variants:
                table.setdefault(stem(fold_name(str(v))), canon)
    return table


@lru_cache(maxsize=100_000)
def stem(token: str) -> str:
    """Drop one Russian case or gender ending from a folded token (Айдану / Aidana -> aidan,
    Красной -> krasn, Ватандора -> vatandor); short tokens are kept whole."""
    for ending in _RU_ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= 4:
            return token[: len(token) - len(ending)]
    return token


def phonetic(token: str) -> str:
    """Spellings that transliteration systems disagree on (Qurbonaliev / Kurbonaliev)."""
    return token.replace("q", "k").replace("dj", "j").replace("gh", "g").replace("c", "k")


def tokens_same(a: str, b: str) -> bool:
    """Two folded name tokens denote the same name part (case endings and spelling aside)."""
    if a == b:
        return True
    sa, sb = phonetic(stem(a)), phonetic(stem(b))
    if sa == sb:
        return True
    return min(len(sa), len(sb)) >= 5 and fuzz.ratio(sa, sb) >= 85


def skeleton(token: str) -> str:
    """A coarse blocking key of a name token: its stem without vowels (krbnlv for Qurbonaliev and
    Курбоналиева). Keys only find candidates; `tokens_same` decides."""
    s = phonetic(stem(token))
    consonants = re.sub(r"[aeiouy]", "", s)
    return consonants if len(consonants) >= 2 else s


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's name split into given and family name (folded)."""

    family: str
    given: str | None = None  # folded, canonical first-name spelling; one letter for an initial
    initial_only: bool = False  # the whole name is an initial ("Л.", "F.")


def is_proper_name(name: str, *, strict: bool = True) -> bool:
    """A name, not a description: every word capitalised except name particles ("kyzy", "bin");
    "Lisouskaya's mother" and "брата Курбоналиева" are descriptions. Organisations (`strict=False`)
    need only a capitalised first word (Красная крыша)."""
    words = _WORD_RE.findall(name)
    if not words:
        return False
    if not strict:
        return words[0][0].isupper() or words[0].isupper()
    particles = _particles()
    for w in words:
        if w[0].isupper():
            continue
        folded = " ".join(name_tokens(w))
        if folded not in particles and w.lower() not in _LOWER_WORDS:
            return False
    return not re.search(r"['’]s\b", name)


@lru_cache(maxsize=100_000)
def person_name(name: str) -> PersonName | None:
    """Given and family name of a person's name, or None for a description ("their relatives").

    Handles Kyrgyz/Kazakh particles ("Makanbai kyzy Gulmira": family Makanbai), Russian official
    order ("Ложкин Матвей Аркадьевич"), initials ("F. Qurbonaliev", "Л.") and known first-name
    variants (Alexei / Aleksey)."""
    if not is_proper_name(name):
        return None
    particles = _particles()
    toks = [t for t in name_tokens(name) if t]
    if not toks:
        return None
    canon = _first_name_canon()
    marker = next((i for i, t in enumerate(toks) if t in particles and i >= 1), None)
    if marker is not None:
        family = toks[marker - 1]
        rest = [t for i, t in enumerate(toks) if i not in (marker - 1, marker) and t not in particles]
        given = rest[0] if rest else None
    else:
        toks = [t for t in toks if t not in particles]
        if not toks:
            return None
        if len(toks) == 1:
            if len(toks[0]) == 1:
                return PersonName(family=toks[0], initial_only=True)
            return PersonName(family=toks[0])
        first, last = toks[0], toks[-1]
        if len(last) == 1 and len(first) > 1:  # "Qurbonaliev F."
            first, last = last, first
        elif len(toks) >= 3 and _PATRONYMIC_RE.search(toks[-1]) and stem(first) not in canon:
            first, last = toks[1], toks[0]  # "Ложкин Матвей Аркадьевич"
        elif len(toks) == 2 and stem(last) in canon and stem(first) not in canon:
            first, last = last, first  # "Ложкин Матвей"
        given, family = first, last
    if given is not None and len(given) > 1:
        given = canon.get(stem(given), stem(given))
    return PersonName(family=family, given=given)


def person_score(a: PersonName, b: PersonName) -> float:
    """FULL (1.0) when family and given names agree, INITIAL (0.85) when an initial fits, SURNAME
    (0.7) when only one side gives a first name, 0 when the names differ."""
    if a.initial_only or b.initial_only:
        return 0.0
    if not tokens_same(a.family, b.family):
        if a.given and b.given and len(a.given) > 1 and len(b.given) > 1 and tokens_same(
                a.family, b.given) and tokens_same(a.given, b.family):
            return FULL  # the same two names in the other order
        return 0.0
    if a.given is None or b.given is None:
        return SURNAME
    if len(a.given) == 1 or len(b.given) == 1:
        return INITIAL if phonetic(a.given)[0] == phonetic(b.given)[0] else 0.0
    return FULL if tokens_same(a.given, b.given) else 0.0


def initial_fits(initial: PersonName, other: PersonName) -> bool:
    """'Л.' (a state-media initial) could be Lozhkin."""
    return bool(other.family) and not other.initial_only and phonetic(other.family)[0] == phonetic(initial.family)[0]


_ORG_GENERIC = frozenset({
    "the", "of", "and", "for", "in", "on", "a", "an", "i", "v", "na", "po", "za",
    "forum", "group", "grup", "center", "centre", "centr", "movement", "dvijeni", "colective", "kolektiv",
    "foundation", "fond", "organization", "organisation", "organizaci", "asociation", "asociaci", "union",
    "club", "klub", "band", "society", "obshestv", "comitee", "public", "human", "rights", "initiative",
    "iniciativ", "project", "proekt", "space", "prostranstv",
})


@lru_cache(maxsize=100_000)
def org_tokens(name: str) -> frozenset[str]:
    """Significant stemmed tokens of an organisation's name (generic words such as 'forum' dropped)."""
    out = set()
    for t in name_tokens(name):
        s = stem(t)
        if len(s) >= 2 and s not in _ORG_GENERIC and t not in _ORG_GENERIC:
            out.add(s)
    return frozenset(out)


def org_same(a: str, b: str) -> bool:
    """Two organisation names denote the same organisation: a lexicon alias group, the same
    significant words in any order and case, or one name's words inside the other's."""
    ga = lexicon_group(a)
    if ga is not None and ga == lexicon_group(b):
        return True
    ta, tb = org_tokens(a), org_tokens(b)
    if not ta or not tb:
        return False
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if not all(any(tokens_same(x, y) for y in long_) for x in short):
        return False
    return len(short) >= 2 or len(next(iter(short))) >= 5 or len(short) == len(long_)


@cache
def _lexicon_groups() -> tuple[dict[frozenset[str], str], dict[str, list[str]]]:
    by_tokens: dict[frozenset[str], str] = {}
    names: dict[str, list[str]] = {}
    for group in load_lexicon("aliases.yaml")["groups"]:
        gid = str(group["id"])
        names[gid] = [str(n) for n in group["names"]]
        for n in group["names"]:
            toks = org_tokens(str(n))
            if toks:
                by_tokens.setdefault(toks, gid)
    return by_tokens, names


@lru_cache(maxsize=100_000)
def lexicon_group(name: str) -> str | None:
    """The aliases.yaml group a name belongs to ("Red Roof collective" -> kg.red-roof), or None."""
    by_tokens, _ = _lexicon_groups()
    toks = org_tokens(name)
    if not toks:
        return None
    if toks in by_tokens:
        return by_tokens[toks]
    best = None
    for key, gid in by_tokens.items():
        if len(key) >= 2 and key <= toks and (best is None or len(key) > len(best[0])):
            best = (key, gid)
    return best[1] if best else None


def lexicon_names(group: str) -> list[str]:
    return _lexicon_groups()[1].get(group, [])


def surname_key(name: str, kind: str) -> str | None:
    """What the surname index hashes: a person's family-name skeleton, an organisation's longest
    significant word's skeleton."""
    if kind == "person":
        parsed = person_name(name)
        return None if parsed is None or parsed.initial_only else skeleton(parsed.family)
    toks = org_tokens(name)
    return skeleton(max(sorted(toks), key=len)) if toks else None


def alias_key(name: str, kind: str, country: str | None = None) -> str:
    """What `alias_index` hashes: the folded name; a state body also by its country (police in
    Kyrgyzstan and police in Russia are two actors)."""
    folded = fold_name(name)
    return f"{country or '-'}|{folded}" if kind == "agency" else folded


def _index(name: str, kind: str, country: str | None = None) -> str:
    return blind_index(alias_key(name, kind, country), "alias")


def _surname_index(name: str, kind: str) -> str | None:
    key = surname_key(name, kind)
    return blind_index(f"{_kind_class(kind)}|{key}", "surname") if key else None


def _kind_class(kind: str) -> str:
    return "person" if kind == "person" else "agency" if kind == "agency" else "organization"


# ---------------------------------------------------------------------------- identity for merging


@dataclass(slots=True)
class IdentityMap:
    """What analysts and reports have taught about names, for merging: alias index -> (actor id,
    whether an analyst put it there). Names linked through report-taught ("X (Y)"), lexicon or
    human aliases of one actor are the same; names an analyst put in two actors are different."""

    strong: dict[str, tuple[int, bool]] = field(default_factory=dict)
    names: dict[int, list[str]] = field(default_factory=dict)  # actor id -> its strong alias texts

    def same(self, index_a: str | None, index_b: str | None) -> bool | None:
        if index_a is None or index_b is None:
            return None
        a, b = self.strong.get(index_a), self.strong.get(index_b)
        if a is None or b is None:
            return None
        if a[0] == b[0]:
            return True
        if a[1] and b[1]:
            return False
        return None

    def aliases_of(self, index: str | None) -> list[str]:
        hit = self.strong.get(index) if index else None
        return self.names.get(hit[0], []) if hit else []


def party_index(name: str, kind: str) -> str:
    """The alias index of a mention's target (person or organisation)."""
    return _index(name, "person" if kind == "person" else "organization")


def load_identity(session: Session, indexes: Iterable[str]) -> IdentityMap:
    """The strong alias links of the given alias indexes (and the other strong aliases of their actors)."""
    wanted = sorted(set(indexes))
    ident = IdentityMap()
    actor_ids: set[int] = set()
    for chunk in _chunks(wanted, 500):
        rows = session.execute(select(models.ActorAlias.alias_index, models.ActorAlias.actor_id,
                                      models.ActorAlias.source)
                               .where(models.ActorAlias.alias_index.in_(chunk),
                                      models.ActorAlias.source.in_(STRONG_SOURCES))).all()
        for index, actor_id, source in sorted(rows, key=lambda r: (r[0], r[2] != "human", r[1])):
            ident.strong.setdefault(index, (actor_id, source == "human"))
            actor_ids.add(actor_id)
    for chunk in _chunks(sorted(actor_ids), 500):
        rows = session.execute(select(models.ActorAlias.actor_id, models.ActorAlias.alias,
                                      models.ActorAlias.alias_index, models.ActorAlias.source)
                               .where(models.ActorAlias.actor_id.in_(chunk),
                                      models.ActorAlias.source.in_(STRONG_SOURCES))
                               .order_by(models.ActorAlias.id)).all()
        for actor_id, alias, index, source in rows:
            ident.names.setdefault(actor_id, []).append(alias)
            ident.strong.setdefault(index, (actor_id, source == "human"))
    return ident


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---------------------------------------------------------------------------- resolution (storage)


@dataclass(slots=True)
class PartyRef:
    """A target or perpetrator of a stored mention that can be an actor."""

    role: str  # target | perpetrator
    name: str
    kind: str  # person | organization | agency
    country: str | None = None
    nationality: str | None = None
    profile: str | None = None


def mention_parties(mention: models.Mention) -> list[PartyRef]:
    """The actors a mention names: persons and organisations it targets (not groups, not
    descriptions), and the state bodies that acted."""
    out: list[PartyRef] = []
    for t in mention.targets or []:
        if not isinstance(t, dict) or not t.get("name"):
            continue
        kind = t.get("kind") or "person"
        name = str(t["name"]).strip()
        if kind == "person" and (person_name(name) is None or person_name(name).initial_only):  # type: ignore[union-attr]
            continue
        if kind == "organization" and not (is_proper_name(name, strict=False) and org_tokens(name)):
            continue
        if kind not in ("person", "organization"):
            continue
        out.append(PartyRef("target", name, kind, nationality=t.get("nationality"), profile=t.get("profile")))
    for p in mention.perpetrators or []:
        if isinstance(p, dict) and p.get("name") and fold_name(str(p["name"])):
            out.append(PartyRef("perpetrator", str(p["name"]).strip(), "agency", country=p.get("country")))
    return out


def _compatible(actor_kind: str, kind: str) -> bool:
    return _kind_class(actor_kind) == _kind_class(kind)


class ActorResolver:
    """Links the parties of mentions to actors, creating actors and aliases as needed. One per
    transaction; remembers what it resolved so a batch does not query the same name twice."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, str], tuple[models.Actor, float, str]] = {}
        self.changed_actors: set[int] = set()  # actors whose strong aliases changed (re-merge their mentions)

    # -- one name

    def resolve(self, party: PartyRef) -> tuple[models.Actor, float, str]:
        index = _index(party.name, party.kind, party.country)
        cached = self._cache.get((index, _kind_class(party.kind)))
        if cached is not None and cached[0].id is not None and self.session.get(models.Actor, cached[0].id):
            self._add_alias(cached[0], party, index, "auto", cached[1])
            return cached
        found = self._exact_written(party, index) or self._lexicon(party, index) or self._fuzzy(party, index)
        if found is None:
            actor = self._create(party, index)
            found = (actor, 1.0, index)
        self._cache[(index, _kind_class(party.kind))] = found
        return found

    def _exact(self, index: str, kind: str) -> tuple[models.Actor, float, str] | None:
        rows = self.session.execute(
            select(models.ActorAlias, models.Actor).join(models.Actor, models.Actor.id == models.ActorAlias.actor_id)
            .where(models.ActorAlias.alias_index == index)).all()
        rows = [(a, act) for a, act in rows if _compatible(act.kind, kind)]
        if not rows:
            return None
        alias, actor = min(rows, key=lambda r: (r[0].source != "human", -r[0].confidence, r[1].id))
        return actor, alias.confidence, index

    def _exact_written(self, party: PartyRef, index: str) -> tuple[models.Actor, float, str] | None:
        hit = self._exact(index, party.kind)
        if hit is not None:
            self._add_alias(hit[0], party, index, "auto", hit[1])
        return hit

    def _lexicon(self, party: PartyRef, index: str) -> tuple[models.Actor, float, str] | None:
        if party.kind == "person":
            return None
        group = lexicon_group(party.name)
        if group is None:
            return None
        for name in [party.name, *lexicon_names(group)]:
            hit = self._exact(_index(name, party.kind, party.country), party.kind)
            if hit is not None:
                self._add_alias(hit[0], party, index, "lexicon", 1.0)
                return hit[0], 1.0, index
        actor = self._create(party, index, source="lexicon")
        return actor, 1.0, index

    def _fuzzy(self, party: PartyRef, index: str) -> tuple[models.Actor, float, str] | None:
        surname = _surname_index(party.name, party.kind)
        if surname is None:
            return None
        rows = self.session.execute(
            select(models.ActorAlias, models.Actor).join(models.Actor, models.Actor.id == models.ActorAlias.actor_id)
            .where(models.ActorAlias.surname_index == surname)).all()
        by_actor: dict[int, list[models.ActorAlias]] = defaultdict(list)
        actors: dict[int, models.Actor] = {}
        for alias, actor in rows:
            if _compatible(actor.kind, party.kind) and (party.kind != "agency" or actor.country == party.country):
                by_actor[actor.id].append(alias)
                actors[actor.id] = actor
        scores: list[tuple[float, int]] = []
        for actor_id, aliases in by_actor.items():
            scores.append((max(_alias_score(party, a.alias) for a in aliases), actor_id))
        scores = sorted((s for s in scores if s[0] > 0), key=lambda s: (-s[0], s[1]))
        if not scores:
            return None
        best, actor_id = scores[0]
        if len(scores) > 1 and scores[1][0] >= SURNAME:
            return None  # two actors fit: "none of these" beats a guess
        actor = actors[actor_id]
        if actor.confirmed and best < INITIAL:
            return None  # a bare surname never joins an analyst-confirmed actor on its own
        confidence = round(best * 0.95, 3)
        self._add_alias(actor, party, index, "auto", confidence)
        return actor, confidence, index

    def _create(self, party: PartyRef, index: str, source: str = "auto") -> models.Actor:
        actor = models.Actor(kind=party.kind, name=party.name, name_index=index,
                             country=party.country if party.kind == "agency" else None,
                             nationality=party.nationality if party.kind != "agency" else None,
                             profile=party.profile, confirmed=False)
        self.session.add(actor)
        self.session.flush()
        self._add_alias(actor, party, index, source, 1.0)
        return actor

    def _add_alias(self, actor: models.Actor, party: PartyRef, index: str, source: str, confidence: float) -> None:
        """One alias row per written form (Gleb Sorokin and Глеб Сорокин share an index but both are
        shown). Compared in Python: alias texts may be encrypted at rest."""
        same_index = self.session.scalars(select(models.ActorAlias).where(models.ActorAlias.actor_id == actor.id,
                                                                          models.ActorAlias.alias_index == index)).all()
        if any(a.alias == party.name for a in same_index):
            return
        if same_index:
            source, confidence = same_index[0].source, same_index[0].confidence
        self.session.add(models.ActorAlias(actor_id=actor.id, alias=party.name, alias_index=index,
                                           surname_index=_surname_index(party.name, party.kind),
                                           source=source, confidence=confidence))
        if source in STRONG_SOURCES:
            self.changed_actors.add(actor.id)
        self.session.flush()

    # -- "X (Y)": two names of one actor

    def learn(self, first: PartyRef, second: PartyRef) -> None:
        a, _, ia = self.resolve(first)
        b, _, ib = self.resolve(second)
        if a.id != b.id:
            if a.confirmed or b.confirmed:
                return  # an analyst decided what these actors are
            keep, gone = (a, b) if a.id < b.id else (b, a)
            _move_actor(self.session, gone, keep)
            self._cache = {k: v for k, v in self._cache.items() if v[0].id != gone.id}
            a = keep
        for index in (ia, ib):
            row = self.session.scalar(select(models.ActorAlias).where(models.ActorAlias.actor_id == a.id,
                                                                      models.ActorAlias.alias_index == index))
            if row is not None and row.source not in STRONG_SOURCES:
                row.source, row.confidence = "report", 1.0
                self.changed_actors.add(a.id)
        self.session.flush()

    # -- mentions

    def resolve_mention(self, mention: models.Mention, report_text: str | None = None) -> None:
        """Link every actor the mention names; learn "X (Y)" aliases from the report's text."""
        self.session.execute(delete(models.MentionActor).where(models.MentionActor.mention_id == mention.id))
        links: dict[tuple[int, str], tuple[float, str]] = {}
        for party in mention_parties(mention):
            actor, confidence, index = self.resolve(party)
            key = (actor.id, party.role)
            if key not in links or links[key][0] < confidence:
                links[key] = (confidence, index)
        for (actor_id, role), (confidence, index) in sorted(links.items()):
            self.session.add(models.MentionActor(mention_id=mention.id, actor_id=actor_id, role=role,
                                                 confidence=confidence, alias_index=index))
        if report_text:
            for first, second in learned_pairs(mention, report_text):
                self.learn(first, second)
        self.session.flush()


def _alias_score(party: PartyRef, alias: str) -> float:
    if party.kind == "person":
        a, b = person_name(party.name), person_name(alias)
        return person_score(a, b) if a is not None and b is not None else 0.0
    return 0.9 if org_same(party.name, alias) else 0.0


_OPEN = (" (", "(", " («", " (“", " (\"")
_CLOSE = (")", "»)", "”)", "\")")


def learned_pairs(mention: models.Mention, text: str) -> list[tuple[PartyRef, PartyRef]]:
    """Names the report writes as "X (Y)": Krasnaya Krysha (Red Roof), State Committee for National
    Security (GKNB). Both must be parties of the mention, of the same kind, side by side."""
    spans = mention.evidence_spans or {}
    found: list[tuple[PartyRef, PartyRef]] = []
    parties = mention_parties(mention)
    for role, key in (("target", "targets"), ("perpetrator", "perpetrators")):
        located = []
        for span in spans.get(key) or []:
            if not isinstance(span, dict) or "start" not in span:
                continue
            match = next((p for p in parties if p.role == role and p.name == span.get("text")), None)
            if match is not None:
                located.append((int(span["start"]), int(span["end"]), match))
        located.sort(key=lambda x: x[0])
        for (_s1, e1, p1), (s2, e2, p2) in itertools.pairwise(located):
            if p1.kind != p2.kind or fold_name(p1.name) == fold_name(p2.name):
                continue
            between, after = text[e1:s2], text[e2:e2 + 2]
            if between in _OPEN and any(after.startswith(c) for c in _CLOSE):
                found.append((p1, p2))
    return found


def _move_actor(session: Session, gone: models.Actor, keep: models.Actor, *, source: str | None = None) -> None:
    """Fold actor `gone` into `keep`: aliases and mention links move, `gone` is deleted."""
    keep_indexes = set(session.scalars(select(models.ActorAlias.alias_index)
                                       .where(models.ActorAlias.actor_id == keep.id)))
    for alias in list(session.scalars(select(models.ActorAlias).where(models.ActorAlias.actor_id == gone.id))):
        if alias.alias_index in keep_indexes:
            session.delete(alias)
            continue
        alias.actor_id = keep.id
        if source:
            alias.source, alias.confidence = source, 1.0
    existing = {(m, r) for m, r in session.execute(select(models.MentionActor.mention_id, models.MentionActor.role)
                                                  .where(models.MentionActor.actor_id == keep.id))}
    for link in list(session.scalars(select(models.MentionActor).where(models.MentionActor.actor_id == gone.id))):
        if (link.mention_id, link.role) in existing:
            session.delete(link)
        else:
            session.add(models.MentionActor(mention_id=link.mention_id, actor_id=keep.id, role=link.role,
                                            confidence=link.confidence, alias_index=link.alias_index))
            session.delete(link)
    session.flush()
    session.delete(gone)
    session.flush()


def resolve_actors(session: Session, mentions: Sequence[models.Mention]) -> set[int]:
    """Resolve the actors of `mentions` (in a canonical order); return the ids of the actors whose
    report-taught or human aliases changed, whose other mentions may now merge differently."""
    resolver = ActorResolver(session)
    texts: dict[int, str] = {}
    for m in sorted(mentions, key=lambda m: (m.report.content_hash, m.ordinal)):
        if m.report_id not in texts:
            texts[m.report_id] = m.report.clean_text or ""
        resolver.resolve_mention(m, texts[m.report_id])
    return resolver.changed_actors


# ---------------------------------------------------------------------------- analysts' decisions


def get_actor(session: Session, actor_id: int) -> models.Actor:
    actor = session.get(models.Actor, actor_id)
    if actor is None:
        raise NotFound(f"no actor with id {actor_id}", hint="see `kolokol actors list`")
    return actor


def find_actors(session: Session, name: str) -> list[models.Actor]:
    """Actors a name denotes: by id ("12"), by the exact folded name (blind index), else by the
    spelling rules (surname index). Best first."""
    if name.strip().lstrip("#").isdigit():
        actor = session.get(models.Actor, int(name.strip().lstrip("#")))
        return [actor] if actor is not None else []
    kinds = ("person", "organization", "agency")
    exact: dict[int, models.Actor] = {}
    for kind in kinds:
        index = _index(name, kind)
        for actor in session.scalars(select(models.Actor).join(models.ActorAlias)
                                     .where(models.ActorAlias.alias_index == index)):
            exact[actor.id] = actor
    if not exact:  # agencies are indexed with their country: match on the name part
        for actor in session.scalars(select(models.Actor).where(models.Actor.kind == "agency")):
            if any(fold_name(a.alias) == fold_name(name) for a in actor.aliases):
                exact[actor.id] = actor
    if exact:
        return sorted(exact.values(), key=lambda a: a.id)
    scored: dict[int, tuple[float, models.Actor]] = {}
    for kind in ("person", "organization"):
        surname = _surname_index(name, kind)
        if surname is None:
            continue
        for alias, actor in session.execute(select(models.ActorAlias, models.Actor)
                                            .join(models.Actor, models.Actor.id == models.ActorAlias.actor_id)
                                            .where(models.ActorAlias.surname_index == surname)):
            score = _alias_score(PartyRef("target", name, kind), alias.alias)
            if score > scored.get(actor.id, (0.0, actor))[0]:
                scored[actor.id] = (score, actor)
    return [a for _s, a in sorted(scored.values(), key=lambda x: (-x[0], x[1].id))]


def list_actors(session: Session, *, kind: str | None = None, limit: int = 100,
                offset: int = 0) -> list[dict[str, Any]]:
    """Actors with their aliases and how many mentions name them, most mentioned first."""
    counts = dict(session.execute(select(models.MentionActor.actor_id, func.count())
                                  .join(models.Mention, models.Mention.id == models.MentionActor.mention_id)
                                  .where(models.Mention.current.is_(True))
                                  .group_by(models.MentionActor.actor_id)).all())
    query = select(models.Actor)
    if kind:
        query = query.where(models.Actor.kind == kind)
    actors = list(session.scalars(query))
    actors.sort(key=lambda a: (-counts.get(a.id, 0), a.id))
    return [actor_to_dict(a, counts.get(a.id, 0)) for a in actors[offset:offset + limit]]


def actor_to_dict(actor: models.Actor, mentions: int | None = None) -> dict[str, Any]:
    aliases = sorted(actor.aliases, key=lambda a: (-a.confidence, a.id))
    return {
        "id": actor.id, "kind": actor.kind, "name": actor.name, "country": actor.country,
        "nationality": actor.nationality, "profile": actor.profile, "confirmed": actor.confirmed,
        "aliases": [{"alias": a.alias, "source": a.source, "confidence": round(a.confidence, 3)} for a in aliases],
        "mentions": mentions,
    }


def _mentions_of(session: Session, actor_ids: Iterable[int]) -> set[int]:
    ids = sorted(set(actor_ids))
    if not ids:
        return set()
    return set(session.scalars(select(models.MentionActor.mention_id).where(models.MentionActor.actor_id.in_(ids))))


def _require_review(user: UserInfo | None) -> None:
    """Analysts' decisions need the review permission (an analyst, an admin or the command line's
    SYSTEM); anyone else is refused before anything is read or written."""
    if not can(user, Permission.REVIEW):
        raise AccessDenied("merging, splitting and confirming actors needs an analyst account")


def _review(session: Session, action: str, details: dict[str, Any], user: UserInfo | None) -> None:
    user_id = user.id if user is not None else None
    session.add(models.ReviewEvent(incident_id=None, user_id=user_id, action=action, details=details))


def merge_actors(session: Session, keep_id: int, other_id: int, *, user: UserInfo | None) -> tuple[
        models.Actor, set[int]]:
    """An analyst (`user`, required: see `analyst_merge_actors`) says two actors are one: `other` folds
    into `keep`, every alias becomes a human alias, `keep` is confirmed. Returns the actor and the
    mentions to re-merge."""
    _require_review(user)
    if keep_id == other_id:
        raise KolokolError("cannot merge an actor with itself", code="actors")
    keep, other = get_actor(session, keep_id), get_actor(session, other_id)
    if not _compatible(keep.kind, other.kind):
        raise KolokolError(f"actor {keep_id} is a {keep.kind} and actor {other_id} a {other.kind}", code="actors",
                           hint="merge actors of the same kind")
    touched = _mentions_of(session, [keep_id, other_id])
    _move_actor(session, other, keep, source="human")
    for alias in keep.aliases:
        alias.source, alias.confidence = "human", 1.0
    keep.confirmed = True
    _review(session, "actor_merge", {"actor": keep_id, "merged": other_id}, user)
    session.flush()
    return keep, touched


def split_actor(session: Session, actor_id: int, aliases: Sequence[str], *, user: UserInfo | None) -> tuple[
        models.Actor, models.Actor, set[int]]:
    """An analyst (`user`, required) says some names of an actor are someone else: the aliases written
    like `aliases` (folded comparison) move to a new actor with the mentions that used them. Both
    actors are confirmed and all their aliases become human aliases."""
    _require_review(user)
    actor = get_actor(session, actor_id)
    wanted = {fold_name(a) for a in aliases if a.strip()}
    moving = [a for a in actor.aliases if fold_name(a.alias) in wanted]
    if not moving:
        raise KolokolError(f"actor {actor_id} has no alias {', '.join(sorted(aliases))!r}", code="actors",
                           hint="see `kolokol actors show` for its aliases")
    if len(moving) == len(actor.aliases):
        raise KolokolError("a split must leave at least one alias with the actor", code="actors")
    touched = _mentions_of(session, [actor_id])
    new = models.Actor(kind=actor.kind, name=moving[0].alias, name_index=moving[0].alias_index,
                       country=actor.country, nationality=actor.nationality, profile=actor.profile, confirmed=True)
    session.add(new)
    session.flush()
    moved_indexes = {a.alias_index for a in moving}
    for alias in moving:
        alias.actor_id = new.id
    for alias in actor.aliases:
        alias.source, alias.confidence = "human", 1.0
    for link in list(session.scalars(select(models.MentionActor).where(models.MentionActor.actor_id == actor_id))):
        if link.alias_index in moved_indexes:
            session.add(models.MentionActor(mention_id=link.mention_id, actor_id=new.id, role=link.role,
                                            confidence=1.0, alias_index=link.alias_index))
            session.delete(link)
    session.flush()
    session.expire(actor)
    for alias in session.scalars(select(models.ActorAlias).where(models.ActorAlias.actor_id.in_([actor_id, new.id]))):
        alias.source, alias.confidence = "human", 1.0
    if actor.name_index in moved_indexes:
        rest = next(a for a in actor.aliases if a.alias_index not in moved_indexes)
        actor.name, actor.name_index = rest.alias, rest.alias_index
    actor.confirmed = True
    _review(session, "actor_split", {"actor": actor_id, "new_actor": new.id, "aliases": len(moving)}, user)
    session.flush()
    return actor, new, touched


def confirm_actor(session: Session, actor_id: int, *, user: UserInfo | None) -> tuple[models.Actor, set[int]]:
    """An analyst (`user`, required) confirms an actor and its alias list: every alias becomes a human
    alias."""
    _require_review(user)
    actor = get_actor(session, actor_id)
    for alias in actor.aliases:
        alias.source, alias.confidence = "human", 1.0
    actor.confirmed = True
    _review(session, "actor_confirm", {"actor": actor_id}, user)
    session.flush()
    return actor, _mentions_of(session, [actor_id])


def reindex_actors(session: Session) -> int:
    """Recompute every blind index of actors and aliases (after `set_index_key`)."""
    count = 0
    for alias in session.scalars(select(models.ActorAlias)):
        kind = alias.actor.kind
        alias.alias_index = _index(alias.alias, kind, alias.actor.country)
        alias.surname_index = _surname_index(alias.alias, kind)
        count += 1
    for actor in session.scalars(select(models.Actor)):
        actor.name_index = _index(actor.name, actor.kind, actor.country)
    for link in session.scalars(select(models.MentionActor)):
        actor = session.get(models.Actor, link.actor_id)
        mention = session.get(models.Mention, link.mention_id)
        if actor is None or mention is None:
            continue
        parties = [p for p in mention_parties(mention) if p.role == link.role and _compatible(actor.kind, p.kind)]
        names = {fold_name(a.alias) for a in actor.aliases}
        used = next((p for p in parties if fold_name(p.name) in names), None)
        if used is not None:
            link.alias_index = _index(used.name, used.kind, used.country)
    session.flush()
    return count


# ---------------------------------------------------------------------------- one call per CLI command
# Each analyst's action takes the acting user (kolokol.security.roles.UserInfo) as a required keyword
# `user`, with no default, like the review workflow: a caller that forgets it gets a TypeError, never
# a decision credited to nobody; a user without the review permission is refused before anything is
# written. Only command-line code, whose operator holds the database and its key, passes `SYSTEM`.


def _with_remerge(db: Any, touched: set[int], session: Session) -> None:
    from kolokol.resolve.merge import merge_session

    merge_session(session, touched)


def analyst_merge_actors(db: Any, keep_id: int, other_id: int, *, user: UserInfo | None) -> dict[str, Any]:
    """Merge two actors and re-merge the incidents of their mentions; returns the actor."""
    _require_review(user)
    with db.session() as s:
        actor, touched = merge_actors(s, keep_id, other_id, user=user)
        _with_remerge(db, touched, s)
        return actor_to_dict(actor)


def analyst_split_actor(db: Any, actor_id: int, aliases: Sequence[str], *,
                        user: UserInfo | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split aliases off an actor into a new one and re-merge the incidents of their mentions."""
    _require_review(user)
    with db.session() as s:
        actor, new, touched = split_actor(s, actor_id, aliases, user=user)
        _with_remerge(db, touched, s)
        s.refresh(actor)
        s.refresh(new)
        return actor_to_dict(actor), actor_to_dict(new)


def analyst_confirm_actor(db: Any, actor_id: int, *, user: UserInfo | None) -> dict[str, Any]:
    """Confirm an actor and its aliases (kept by every later run)."""
    _require_review(user)
    with db.session() as s:
        actor, touched = confirm_actor(s, actor_id, user=user)
        _with_remerge(db, touched, s)
        return actor_to_dict(actor)


def actors_table(db: Any, *, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    with db.session() as s:
        return list_actors(s, kind=kind, limit=limit, offset=offset)
