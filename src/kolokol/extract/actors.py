"""The actors step: state bodies, organisations, groups and persons named in a report.

`find_actors(text, lang)` returns `ActorMention`s sorted by position. Knowledge lives in
`lexicon/agencies.yaml` (state bodies and proxies), `lexicon/names.yaml` (name parts, cue words,
officials, group and organisation nouns) and `lexicon/nationalities.yaml` (the nationality table the
gazetteer reads too); this module holds only the rules.

Order matters: agencies are found first, then organisations, then persons, then groups, and a
later kind never overlaps an earlier one, so "the Russian embassy" is never a person and
"Zelyonaya Dver" is never a person once a head noun has made it an organisation. Russian persons
come from natasha, loaded once and only when Russian text is seen. Everything else is dictionary
look-ups on word tokens plus regular expressions with bounded repetition only, so the cost stays
linear in the input (a 1 MB single line is fine).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from kolokol.domain import ActorMention, Span

VERSION = "v1"

# Upper-case letters for name patterns (Latin with diacritics, Cyrillic).
_UP = "A-ZА-ЯЁÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĖĘĚĞĠĢĤĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
_QUOTES_OPEN = '“"«„‘'
_QUOTES_CLOSE = '”"»“’'
_SEP = r"(?:\s*-\s*|\s+)"  # between words of an agency pattern: spaces or one hyphen
# fmt: off
_PERSONNEL_EN = frozenset(
    ["agents", "agent", "officers", "officer", "officials", "operatives", "employees", "staff", "personnel",
     "servicemen"]
)
_ARTICLES = frozenset({"a", "an", "the"})
_STOP_LOWER = frozenset(
    ["the", "a", "an", "of", "by", "and", "or", "with", "to", "from", "for", "in", "on", "at", "as", "who",
     "which", "that", "whose", "said", "says", "told", "was", "is", "were", "are", "has", "have", "had", "be",
     "been", "not", "but"]
)
# Singular nouns that make "a/an <noun>" a one-person group even without a nationality or modifier.
_SINGULAR_ALONE = frozenset(
    ["foreigner", "foreign national", "foreign citizen", "detainee", "emigre", "émigré", "exile", "refugee",
     "deserter"]
)
# fmt: on
_PARTICLES_RU = ("кызы", "уулу", "оглы", "улы", "кизи", "угли")
_CYR = re.compile(r"[А-Яа-яЁё]")
_LETTER = re.compile(r"[^\W\d_]")
_DISPATCH_SPLIT = re.compile(r"([^\W_]+(?:['’][^\W_]+)*)")
_WORDS_WINDOW = re.compile(r"[\w'’-]+|[^\w \t\u00a0]")
_ENGLISH_SHAPE = re.compile(r"(?:ly|ing|ed|tion|sion|ness|ment|ever|ful|less|ous|ity)\Z")


def _rule(name: str) -> str:
    return f"actors.{name}.{VERSION}"


# ----------------------------------------------------------------------------------------------
# Lexicon loading and compilation
# ----------------------------------------------------------------------------------------------


def load_lexicon_file(name: str) -> dict[str, Any]:
    """Parse one YAML file of the package's lexicon folder (C loader when available: 10x faster)."""
    text = (resources.files("kolokol") / "lexicon" / name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)
    return data if isinstance(data, dict) else {}


def _alts(words: Iterable[str], *, sep: str = r"\s+") -> str:
    """A regex alternation of literal phrases, longest first so the longest phrase wins."""
    uniq = sorted({w.strip() for w in words if w and w.strip()}, key=lambda w: (-len(w), w))
    return "|".join(sep.join(re.escape(p) for p in w.split()) for w in uniq) or r"(?!x)x"


def _literal(s: str) -> str:
    """Escape a literal piece of an agency pattern: spaces/hyphens, apostrophes and quotes are loose."""
    out = []
    for piece in re.split(r"[\s-]+", s):
        esc = []
        for ch in piece:
            if ch in "'’":
                esc.append("['’]")
            elif ch in '«»“”"„':
                esc.append('[«»“”"„]')
            else:
                esc.append(re.escape(ch))
        out.append("".join(esc))
    return _SEP.join(out)


_NAME_SLOT = rf"(?-i:[{_UP}][\w'’]*(?:-[\w'’]+)*(?:[ \t][{_UP}][\w'’]*(?:-[\w'’]+)*){{0,3}})"


def compile_agency_pattern(pattern: str) -> str:
    """Agency pattern syntax (see agencies.yaml) to a regex fragment."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("<NAME>", i):
            out.append(_NAME_SLOT)
            i += len("<NAME>")
            continue
        if pattern[i] == "[":
            j = pattern.index("]", i)
            options = sorted(pattern[i + 1 : j].split("|"), key=len, reverse=True)
            out.append("(?:" + "|".join(_literal(o) for o in options) + ")")
            i = j + 1
            continue
        j = i
        while j < len(pattern) and pattern[j] != "[" and not pattern.startswith("<NAME>", j):
            j += 1
        out.append(_literal(pattern[i:j]))
        i = j
    return "".join(out)


def is_case_sensitive(pattern: str) -> bool:
    """Acronyms (no lower-case letter) are matched exactly: "СК" must not match "ск"."""
    bare = re.sub(r"\[[^\]]*\]|<NAME>", "", pattern)
    return not any(ch.islower() for ch in bare)


def first_word_keys(pattern: str) -> set[str]:
    """Every spelling of a pattern's first word, lower-cased: the key the text scan looks up."""
    depth, i = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and (ch.isspace() or ch == "-" or ch in '«»“”"„'):
            break
        i += 1
    variants = [""]
    word, j = pattern[:i], 0
    while j < len(word):
        if word[j] == "[":
            k = word.index("]", j)
            variants = [v + o for v in variants for o in word[j + 1 : k].split("|")]
            j = k + 1
        else:
            variants = [v + word[j] for v in variants]
            j += 1
    # A trailing apostrophe ("compatriots' association") is not part of the text's word token.
    return {v.lower().replace("’", "'").rstrip("'") for v in variants if v.rstrip("'’")}


@dataclass(frozen=True, slots=True)
class AgencyEntry:
    id: str
    country: str | None
    profile: str | None
    by_country: dict[str, str]
    place_sets_country: bool
    requires_country: bool


@dataclass(slots=True)
class _Official:
    name: str
    country: str
    first: set[str]
    require_first: bool


@dataclass(slots=True)
class Lexicon:
    """Everything the rules need, compiled once per process."""

    agencies: list[AgencyEntry] = field(default_factory=list)
    agency_index: dict[str, list[tuple[re.Pattern[str], int]]] = field(default_factory=dict)
    first_names: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # lower -> (group key, gender)
    world_first_names: frozenset[str] = frozenset()  # lower: those only given_names.yaml lists
    first_suffixes: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    patronymic: tuple[str, ...] = ()
    particles: frozenset[str] = frozenset()
    family_first: frozenset[str] = frozenset()  # family names that open a name ("Do Minh Khoa")
    family_first_middles: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()  # "bin", "de", "van": lower-case words inside a name
    hyphen_prefixes: tuple[str, ...] = ()  # "al-", "ul-": lower-case prefixes of a name part
    cues_en: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # phrase -> (kind, profile)
    profiles_ru: list[tuple[str, str]] = field(default_factory=list)
    officials: dict[str, list[_Official]] = field(default_factory=dict)  # folded surname -> entries
    adj_en: dict[str, str] = field(default_factory=dict)  # "Kyrgyz" -> "KG"
    demonym_en: dict[str, str] = field(default_factory=dict)
    place_en: dict[str, str] = field(default_factory=dict)
    ru_adj: list[tuple[str, str]] = field(default_factory=list)  # stem -> cc, longest first
    ru_demonym: list[tuple[str, str]] = field(default_factory=list)
    ru_place: dict[str, str] = field(default_factory=dict)
    not_name: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    place_words: frozenset[str] = frozenset()
    institution_words: frozenset[str] = frozenset()
    org_reject_words: frozenset[str] = frozenset()
    state_words: frozenset[str] = frozenset()
    number_en: dict[str, int] = field(default_factory=dict)
    number_ru: dict[str, int] = field(default_factory=dict)
    credit_markers: frozenset[str] = frozenset()
    byline_prefixes: tuple[str, ...] = ()
    cap_heads: frozenset[str] = frozenset()
    state_body_words: frozenset[str] = frozenset()  # "State", "Security": a capitalised state body
    role_cache: dict[str, tuple[float, str]] = field(default_factory=dict)
    # lower-case word (also with "'s") -> (key, rules it may open)
    triggers: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    res: dict[str, re.Pattern[str]] = field(default_factory=dict)


def _variants(entry: Any) -> list[str]:
    return [str(v) for v in entry] if isinstance(entry, list) else [str(entry)]


_GENDER_CODES: dict[str, str | None] = {"male": "m", "female": "f", "unisex": None}


@functools.cache
def get_lexicon() -> Lexicon:
    """Load and compile names.yaml and agencies.yaml (once per process)."""
    names = load_lexicon_file("names.yaml")
    lx = Lexicon()
    agencies = load_lexicon_file("agencies.yaml")
    _load_agencies(lx, agencies.get("agencies") or [])
    bodies = agencies.get("state_bodies") or {}
    lx.state_body_words = frozenset(bodies.get("words") or [])

    world = load_lexicon_file("given_names.yaml")
    for table, gendered in ((names.get("first_names") or {}, True), (world, False)):
        for gender in ("male", "female", "unisex"):
            for entry in table.get(gender) or []:
                variants = _variants(entry)
                for v in variants:
                    # A name listed twice keeps its first entry (names.yaml first, then the world's names).
                    # The world's names make a person but tell no gender: across so many naming customs
                    # ("Minh" is given to both) a wrong one would break pronoun agreement.
                    lx.first_names.setdefault(v.lower(), (variants[0].lower(), _GENDER_CODES[gender] if gendered
                                                          else None))
        if gendered:
            core = frozenset(lx.first_names)
    lx.world_first_names = frozenset(lx.first_names) - core
    lx.first_suffixes = tuple(names.get("first_name_suffixes") or [])
    sur = names.get("surname_suffixes") or {}
    lx.strong = tuple(sorted(sur.get("strong") or [], key=len, reverse=True))
    lx.weak = tuple(sorted(sur.get("weak") or [], key=len, reverse=True))
    lx.patronymic = tuple(names.get("patronymic_suffixes") or [])
    lx.particles = frozenset(p.lower() for p in names.get("name_particles") or [])
    lx.family_first = frozenset(p.lower() for p in names.get("family_names_first") or [])
    lx.family_first_middles = frozenset(p.lower() for p in names.get("family_first_middles") or [])
    lx.prefixes = frozenset(p.lower() for p in names.get("name_prefixes") or [])
    lx.hyphen_prefixes = tuple(sorted({f"{p.rstrip('-').lower()}-" for p in names.get("hyphen_prefixes") or []},
                                      key=len, reverse=True))
    for k in names.get("citizen_nouns_en") or []:
        lx.cues_en[k.lower()] = ("citizen", None)
    for k in names.get("titles_en") or []:
        lx.cues_en[k.lower()] = ("title", "official")
    for k, v in (names.get("profiles_en") or {}).items():
        lx.cues_en[k.lower()] = ("profile", v)
    lx.profiles_ru = sorted(
        ((k.lower(), v) for k, v in (names.get("profiles_ru") or {}).items()), key=lambda t: -len(t[0])
    )

    for o in names.get("officials") or []:
        off = _Official(
            name=o["name"],
            country=o["country"],
            first={fold_name(f) for f in o.get("first") or []},
            require_first=bool(o.get("require_first", False)),
        )
        for s in o.get("surnames") or []:
            lx.officials.setdefault(fold_name(s), []).append(off)

    _load_nationalities(lx)

    nn = names.get("not_name_words") or {}
    lx.function_words = frozenset(nn.get("function") or [])
    lx.place_words = frozenset(nn.get("places") or []) | frozenset(lx.place_en)
    lx.institution_words = frozenset(nn.get("institutions") or [])
    everything: set[str] = set()
    for words in nn.values():
        everything |= set(words or [])
    lx.not_name = frozenset(everything | set(lx.adj_en) | set(lx.demonym_en) | set(lx.place_en))
    lx.org_reject_words = (
        (lx.function_words - {"The"})
        | frozenset(nn.get("months") or [])
        | frozenset(nn.get("days") or [])
        | frozenset(nn.get("titles") or [])
        | frozenset(nn.get("platforms") or [])
    )
    lx.state_words = frozenset(names.get("state_words") or [])
    lx.number_en = {k.lower(): int(v) for k, v in (names.get("number_words_en") or {}).items()}
    lx.number_ru = {k.lower(): int(v) for k, v in (names.get("number_words_ru") or {}).items()}
    lx.credit_markers = frozenset(names.get("credit_markers") or [])
    lx.byline_prefixes = tuple(names.get("byline_prefixes") or [])
    lx.cap_heads = frozenset(names.get("organization_heads_capitalised") or [])
    lx.res = _compile_rules(lx, names)
    lx.res["state_body"] = _state_body_rule(bodies)
    lx.triggers = _triggers(lx, names)
    return lx


_RU_ADJ_ENDINGS = ("ий", "ый", "ой", "ая", "ое", "ие", "ые")


def ru_adjective_stems(words: Iterable[str]) -> set[str]:
    """Stems of Russian adjectives in the dictionary form: "кыргызский" -> "кыргызск"."""
    return {w.lower()[:-2] for w in words if " " not in w and w.lower().endswith(_RU_ADJ_ENDINGS)}


def ru_demonym_stems(words: Iterable[str]) -> set[str]:
    """Stems that every case form of a Russian demonym starts with: "россиянин" -> "россиян"
    (россияне, россиянина), "чеченец" -> "чеченц" (чеченца, чеченцы) and "чеченец", "китаец" ->
    "китайц", "чеченка" -> "чеченк", "турки" -> "турк", "русский" -> "русск"."""
    out: set[str] = set()
    for word in words:
        w = word.lower()
        if " " in w or len(w) < 3:
            continue
        if w.endswith(_RU_ADJ_ENDINGS) and len(w) > 5:
            out.add(w[:-2])  # a noun made from an adjective ("русский", "русские")
        elif w.endswith(("анин", "янин", "арин")):
            out.add(w[:-2])
        elif w.endswith("ец"):
            out.update({w, w[:-2] + ("йц" if w[-3] in "аеиоуяюэ" else "ц")})
        elif (w.endswith("ка") and len(w) > 5) or (w.endswith(("е", "ы", "и")) and len(w) >= 5):
            out.add(w[:-1])
        else:
            out.add(w)
    return out


def _load_nationalities(lx: Lexicon) -> None:
    """The nationality table (`nationalities.yaml`, shared with the gazetteer): English adjectives,
    demonyms and place names as written; Russian adjective and demonym stems derived from the
    dictionary forms, with the city adjectives of `place_adjectives.yaml` ("бишкекский")."""
    city_adjectives: dict[str, str] = load_lexicon_file("place_adjectives.yaml").get("ru") or {}
    for entry in load_lexicon_file("nationalities.yaml").get("nationalities") or []:
        cc = str(entry["country"])
        en, ru, places = entry.get("en") or {}, entry.get("ru") or {}, entry.get("places") or {}
        for a in en.get("adjectives") or []:
            lx.adj_en.setdefault(a, cc)
        adjectives = set(en.get("adjectives") or [])
        for d in en.get("demonyms") or []:
            # A word that is also the adjective ("Russian") is a noun for people only when it has no
            # plural of its own ("five Kyrgyz", "the Chinese").
            if d not in adjectives or d.endswith(("z", "ese", "ss")):
                lx.demonym_en.setdefault(d, cc)
        for p in places.get("en") or []:
            lx.place_en.setdefault(p, cc)
        ru_places = [str(p) for p in places.get("ru") or []]
        for p in ru_places:
            lx.ru_place.setdefault(p, cc)
        stems = ru_adjective_stems(ru.get("adjectives") or [])
        stems |= {stem for stem, city in city_adjectives.items() if city in ru_places}
        lx.ru_adj += [(s, cc) for s in sorted(stems)]
        lx.ru_demonym += [(s, cc) for s in sorted(ru_demonym_stems(ru.get("demonyms") or []))]
    lx.ru_adj.sort(key=lambda t: -len(t[0]))
    lx.ru_demonym.sort(key=lambda t: -len(t[0]))


def _triggers(lx: Lexicon, names: dict[str, Any]) -> dict[str, tuple[str, frozenset[str]]]:
    """First words of every multi-word rule: the text is scanned once and each rule is only tried
    where one of its first words stands (trying every rule at every word is ~10x slower)."""
    table: dict[str, set[str]] = {}

    def add(rule: str, phrases: Iterable[str]) -> None:
        for ph in phrases:
            words = re.split(r"[\s-]+", str(ph).strip().lower())
            if words and words[0]:
                table.setdefault(words[0].replace("’", "'"), set()).add(rule)

    add("agency", lx.agency_index)
    add(
        "group_en",
        [
            *lx.number_en,
            *(names.get("vague_quantifiers_en") or []),
            *(names.get("number_qualifiers_en") or []),
        ],
    )
    add("group_en", ["tens", "hundreds", "thousands", "dozens", "scores", "millions", "a", "an", "one"])
    add(
        "group_en",
        [
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
        ],
    )
    add(
        "group_en",
        [
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
            "thirty",
            "forty",
            "fifty",
            "sixty",
            "seventy",
            "eighty",
            "ninety",
        ],
    )
    add(
        "group_ru",
        [
            *lx.number_ru,
            *(names.get("vague_quantifiers_ru") or []),
            *(names.get("number_qualifiers_ru") or []),
        ],
    )
    add("org_head", names.get("organization_heads_en") or [])
    add("org_det", ["the", "a", "an"])
    add("org_called", ["whose", "translated", "known", "called", "named", "dubbed", "under"])
    add("org_cap", lx.cap_heads)
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for key, rules in table.items():
        for form in (key, key.replace("'", "’"), f"{key}'s", f"{key}’s"):
            out.setdefault(form, (key, frozenset(rules)))
    return out


def _load_agencies(lx: Lexicon, agencies: list[dict[str, Any]]) -> None:
    """Index every agency pattern by the spellings of its first word, so the text scan only tries
    the few patterns that can start at a given word (one big alternation is ~50x slower)."""
    for idx, e in enumerate(agencies):
        lx.agencies.append(
            AgencyEntry(
                id=str(e["id"]),
                country=e.get("country"),
                profile=e.get("profile"),
                by_country=dict(e.get("by_country") or {}),
                place_sets_country=bool(e.get("place_sets_country", True)),
                requires_country=bool(e.get("requires_country", False)),
            )
        )
        patterns = [(str(p), is_case_sensitive(str(p))) for p in e.get("patterns") or []]
        patterns += [(str(p), True) for p in e.get("exact") or []]
        for p, cs in patterns:
            rx = re.compile(compile_agency_pattern(p) + r"(?![\w])", 0 if cs else re.IGNORECASE)
            for key in first_word_keys(p):
                lx.agency_index.setdefault(key, []).append((rx, idx))


def _state_body_rule(bodies: dict[str, Any]) -> re.Pattern[str]:
    """A capitalised name of a state body the lexicon does not list: capitalised words ending in a
    head noun ("Supreme State Security Prosecution", "Cairo Criminal Court") or a head noun with
    "of"/"for" and capitalised words ("Presidency of State Security", "Ministry of State Security")."""
    heads = _alts(bodies.get("heads") or [])
    cap = rf"[{_UP}][\w'’]*(?:-[\w'’]+)*"
    link = r"(?:of|for|and|on|the)"
    return re.compile(
        rf"(?<![\w-])(?P<name>(?:{cap}[ \t]+(?:{link}[ \t]+){{0,2}}){{0,5}}(?-i:{heads})"
        rf"(?:[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?{cap}(?:[ \t]+(?:{link}[ \t]+){{0,2}}{cap}){{0,4}})?)(?![\w-])"
    )


def _compile_rules(lx: Lexicon, names: dict[str, Any]) -> dict[str, re.Pattern[str]]:
    """The regular expressions of the group and organisation rules and of Russian person cues."""
    res: dict[str, re.Pattern[str]] = {}
    adj = _alts(lx.adj_en)
    places = _alts(lx.place_en)

    # -- groups (English) --
    units = "one|two|three|four|five|six|seven|eight|nine"
    teens = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    tens = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    simple = set(f"{units}|{teens}|{tens}".split("|"))
    extra = _alts(k for k in lx.number_en if k not in simple)
    word_num = rf"(?:(?:{tens})(?:[-\s](?:{units}))?|{teens}|{units}|{extra})"
    digit_num = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s+(?:thousand|million))?"
    num = rf"(?:{digit_num}|{word_num})"
    vague = _alts(names.get("vague_quantifiers_en") or [])
    qual = _alts(names.get("number_qualifiers_en") or [])
    mods = _alts(names.get("group_modifiers_en") or [])
    # A name between ("three other Lao Dawn members"): capitalised words of an organisation.
    mod = rf"(?:{mods}|(?-i:{adj})|[a-z]+(?:-[a-z]+)+|[a-z]{{3,}}ed|(?-i:[A-Z][a-z]+))"
    plural = _alts(list(names.get("group_nouns_en") or []) + list(lx.demonym_en))
    singular = _alts(names.get("group_nouns_singular_en") or [])
    post = rf"(?P<post>\s+(?:of|from)\s+(?:the\s+)?(?P<place>(?-i:{places}))(?![\w-]))?"
    res["group_en"] = re.compile(
        rf"(?<![\w$€£¥₽.,-])(?P<quant>(?:(?:{qual})\s+)?(?P<num>{num})(?:\s*(?:to|or|-|–)\s*(?P<num2>{num}))?"
        rf"|(?P<vague>(?:(?:tens|hundreds|thousands|dozens|scores|millions)\s+of\s+){{1,3}}|(?:{vague})))"
        rf"\s+(?P<mods>(?:{mod}\s+){{0,3}})(?P<noun>{plural})(?![\w-]){post}",
        re.IGNORECASE,
    )
    res["group_en_one"] = re.compile(
        rf"(?<![\w-])(?P<quant>(?i:an?|one))\s+(?P<mods>(?:{mod}\s+){{0,3}})(?P<noun>{singular})(?![\w-]){post}"
    )
    res["adj_word"] = re.compile(rf"(?<![\w-])(?:{adj})(?![\w-])")
    res["num_blocker"] = re.compile(
        r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January|February|March|April|June|July"
        r"|August|September|October|November|December|Article|Articles|No\.|Nos\.|№|USD|KGS|KZT|RUB|EUR|US\$"
        r"|page|pages|ст\.|статьи|статья|статье|части|ч\.|пункта|п\.|января|февраля|марта|апреля|мая|июня"
        r"|июля|августа|сентября|октября|ноября|декабря)\s*\Z"
    )

    # -- groups (Russian) --
    ru_places = _alts(lx.ru_place)
    ru_nums = _alts(lx.number_ru)
    ru_vague = _alts(names.get("vague_quantifiers_ru") or [])
    ru_qual = _alts(names.get("number_qualifiers_ru") or [])
    ru_mod_end = "|".join(sorted(names.get("group_modifiers_ru_endings") or [], key=len, reverse=True))
    stems = list(names.get("group_nouns_ru") or []) + [s for s, _ in lx.ru_demonym]
    ru_nouns = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    ru_num = rf"(?:\d{{1,3}}(?:[ \u00a0]\d{{3}})+|\d+|(?:{ru_nums})(?:\s+(?:{ru_nums}))?)"
    res["group_ru"] = re.compile(
        rf"(?<![\w-])(?P<quant>(?:(?:{ru_qual})\s+)?(?P<num>{ru_num})(?P<thousand>\s+тысяч\w{{0,2}})?"
        rf"|(?P<vague>{ru_vague}))"
        rf"\s+(?P<mods>(?:(?!{_RU_MONTHS_GEN}\s)[а-яё]+(?:-[а-яё]+)?(?:{ru_mod_end})\s+){{0,2}})"
        rf"(?P<noun>(?:{ru_nouns})[а-яё]{{0,4}})"
        rf"(?![\w-])(?P<post>\s+(?P<place>(?-i:{ru_places}))(?![\w-]))?",
        re.IGNORECASE,
    )
    res["group_ru_one"] = re.compile(
        rf"(?<![\w-])(?P<noun>(?i:граждан(?:ин|ина|ину|ином|ка|ки|ку|кой)))\s+(?P<place>{ru_places})(?![\w-])"
    )

    # -- organisations --
    heads = _alts(names.get("organization_heads_en") or [])
    cap_tok = rf"(?:[{_UP}](?:[\w&]|['’.](?=\w))*(?:-\w+)*|\d+(?:\.[A-Za-z]\w*)+)"
    org_name = rf"{cap_tok}(?:[ \t]+(?:(?:of|for|the|de)[ \t]+)?{cap_tok}){{0,4}}"
    quoted = rf"[{_QUOTES_OPEN}](?P<qname>[^{_QUOTES_OPEN}{_QUOTES_CLOSE}\n]{{1,60}})[{_QUOTES_CLOSE}]"
    alias = r"(?P<alias>[ \t]*\((?P<aname>[^()\n]{1,60})\))?"
    org_mod = rf"(?:[a-z][\w'’]*(?:-\w+)*|{adj})"
    res["org_head_name"] = re.compile(
        rf"(?<![\w-])(?P<head>(?i:{heads}))[ \t]+(?:(?P<called>called|named|known[ \t]+as|dubbed)[ \t]+)?"
        rf"(?:{quoted}|(?P<name>{org_name})){alias}"
    )
    res["org_name_head"] = re.compile(
        rf"(?<![\w-])(?:the|a|an|The|A|An)[ \t]+(?:[{_UP}][\w'’]*-based[ \t]+)?"
        rf"(?:{quoted}|(?P<name>{org_name})){alias}"
        rf"[ \t]+(?P<mods>(?:{org_mod}[ \t]+){{0,4}}?)(?P<head>{heads})(?![\w-])"
    )
    res["org_quoted_head"] = re.compile(
        rf"{quoted}{alias}[ \t]+(?P<mods>(?:{org_mod}[ \t]+){{0,3}})(?P<head>{heads})(?![\w-])"
    )
    res["org_called"] = re.compile(
        r"(?<![\w-])(?:whose[ \t]+name[ \t]+(?:translates|is[ \t]+translated|means)[ \t]+as"
        r"|translated[ \t]+as|known[ \t]+as|called|named|dubbed|under[ \t]+the[ \t]+name)"
        rf"[ \t]+(?:{quoted}|(?P<name>{org_name})){alias}"
    )
    res["org_appos"] = re.compile(
        rf",[ \t]+(?:an?|the)[ \t]+(?P<mods>(?:{org_mod}[ \t]+){{0,3}})(?P<head>{heads})(?![\w-])"
    )
    # "designated Group 24 a terrorist organisation", "blocked Ozodagon, a news site",
    # "признал «Группу 24» террористической": the object of a ban or designation is an organisation
    # when no person was found there (run after persons).
    obj_name = rf"{cap_tok}(?:[ \t]+(?:(?:of|for|the|de)[ \t]+)?(?:{cap_tok}|\d{{1,4}}(?![\d.,]\w))){{0,4}}"
    label = (r"(?:as[ \t]+)?(?:an?[ \t]+|the[ \t]+)?(?:[\w-]+[ \t]+)?[\"“«]?"
             r"(?:extremist|terrorist|undesirable|foreign[ \t]+agent|illegal)")
    res["org_object_en"] = re.compile(
        rf"(?<![\w-])(?:designated|declared|branded|labell?ed|listed|banned|outlawed|proscribed)[ \t]+"
        rf"(?:the[ \t]+)?(?P<name>{obj_name})[ \t]+{label}"
        rf"|(?<![\w-])(?:blocked|shut|sealed|raided|closed|dissolved|liquidated|deregistered|banned|outlawed)"
        rf"[ \t]+(?P<name2>{obj_name})(?=[ \t]*,[ \t]+(?:an?|the)[ \t])"
    )
    res["org_object_ru"] = re.compile(
        r"(?<![\w-])(?:признал\w*|признан\w*|признать|запрети\w*|запрещен\w*|заблокирова\w*|закры\w*"
        r"|ликвидирова\w*|внес\w*|внёс\w*|член\w*|участник\w*|сторонник\w*|активист\w*)\s+"
        rf"[{_QUOTES_OPEN}](?P<qname>[{_UP}\d][^{_QUOTES_OPEN}{_QUOTES_CLOSE}\n]{{0,59}})[{_QUOTES_CLOSE}]"
    )
    res["org_name_before"] = re.compile(rf"(?<![\w'’.-])(?P<name>{org_name})(?:['’]s)?\Z")
    res["org_heads_lower"] = re.compile(rf"(?<![\w-])(?:{heads})(?![\w-])")
    cap_heads = _alts(names.get("organization_heads_capitalised") or [])
    res["org_capitalised"] = re.compile(
        rf"(?<![\w-])(?P<name>(?:{cap_tok}(?:(?<=s)['’])?[ \t]+(?:(?:of|for|the|and)[ \t]+)?){{1,4}}"
        rf"(?:{cap_heads}))(?![\w-])"
    )
    ru_heads = "|".join(
        r"\s+".join(re.escape(w) + r"\w{0,3}" for w in h.split())
        for h in sorted(names.get("organization_heads_ru") or [], key=len, reverse=True)
    )
    res["org_ru"] = re.compile(
        rf"(?<![\w-])(?P<head>{ru_heads})\s+(?:(?:под|с)\s+названием\s+)?"
        rf"[«\"“„](?P<qname>[^«»\"“”„\n]{{1,60}})[»\"”“]",
        re.IGNORECASE,
    )

    # -- persons (Russian cues) --
    ru_adj = "|".join(re.escape(s) for s, _ in lx.ru_adj) or r"(?!x)x"
    ru_prof = "|".join(re.escape(s) for s, _ in lx.profiles_ru) or r"(?!x)x"
    ru_titles = "|".join(re.escape(s) for s in sorted(names.get("titles_ru") or [], key=len, reverse=True))
    ru_dem = "|".join(re.escape(s) for s, _ in lx.ru_demonym) or r"(?!x)x"
    res["ru_cue_before"] = re.compile(
        rf"(?:(?P<adj>(?:{ru_adj})\w{{0,3}})\s+(?:[а-яё-]+\s+){{0,2}})?"
        rf"(?:(?P<prof>(?:{ru_prof})\w{{0,3}})|(?P<title>(?:{ru_titles})\w{{0,3}})|(?P<dem>(?:{ru_dem})\w{{0,4}})"
        rf"|(?P<cit>граждан\w{{0,4}}))(?:\s+(?P<place>(?-i:{ru_places})))?\s+\Z",
        re.IGNORECASE,
    )
    res["ru_appos"] = re.compile(
        rf"\A\s*,\s+(?:(?P<adj>(?:{ru_adj})\w{{0,3}})\s+)?(?:[а-яё-]+\s+){{0,2}}?"
        rf"(?:(?P<prof>(?:{ru_prof})\w{{0,3}})|(?P<title>(?:{ru_titles})\w{{0,3}})|(?P<dem>(?:{ru_dem})\w{{0,4}})"
        rf"|(?P<cit>граждан\w{{0,4}}))(?:\s+(?P<place>(?-i:{ru_places})))?(?![\w-])",
        re.IGNORECASE,
    )
    latin_particles = "|".join(re.escape(p) for p in sorted(lx.particles | lx.prefixes) if p.isascii())
    hyphened = "|".join(re.escape(p) for p in lx.hyphen_prefixes)
    res["cap_token"] = re.compile(
        rf"(?<![\w'’-])(?:[{_UP}][\w'’]*(?:-[\w'’]+)*|(?:{hyphened})[{_UP}][\w'’]*(?:-[\w'’]+)*"
        rf"|(?:{latin_particles})(?![\w'’-]))"
    )
    particles = "|".join(_PARTICLES_RU)
    # Used with .match(text, pos): anchored at pos (\A would only match at the string's start).
    res["ru_particle_after"] = re.compile(rf"[ \t]+(?:{particles})(?![\w-])")
    res["ru_name_particle_after"] = re.compile(rf"[ \t]+[А-ЯЁ][а-яё]+[ \t]+(?:{particles})(?![\w-])")
    res["ru_cue_word"] = re.compile(
        rf"(?:(?:{ru_prof})\w{{0,3}}|(?:{ru_titles})\w{{0,3}}|(?:{ru_dem})\w{{0,4}}|граждан\w{{0,4}})\Z",
        re.IGNORECASE,
    )
    res["ru_particle_before"] = re.compile(rf"(?<![\w-])[А-ЯЁ][а-яё]+[ \t]+(?:{particles})[ \t]+\Z")
    res["ru_kyrgyz_name"] = re.compile(
        rf"(?<![\w-])(?:[А-ЯЁ][а-яё]+[ \t]+[А-ЯЁ][а-яё]+[ \t]+(?:{particles})"
        rf"|[А-ЯЁ][а-яё]+[ \t]+(?:{particles})[ \t]+[А-ЯЁ][а-яё]+)(?![\w-])"
    )
    return res


# ----------------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def fold_name(token: str) -> str:
    """Fold transliteration and gendered surname endings: Morozova ~ Morozov, Zhaparov ~ Japarov."""
    t = token.lower().replace("’", "'")
    t = re.sub(r"'s\Z", "", t)
    t = t.replace("dzh", "j").replace("zh", "j").replace("kh", "h").replace("x", "ks").replace("w", "v")
    t = re.sub(r"(ск|цк)(ая|ий|ой)\Z", r"\1ий", t)
    t = re.sub(r"(ов|ев|ин|ын)а\Z", r"\1", t)
    t = re.sub(r"(ov|ev|in|yn)a\Z", r"\1", t)
    t = re.sub(r"(sk|ck|tsk)(aya|aia|ii|iy|yi|y|i)\Z", r"\1y", t)
    t = re.sub(r"(ei|ey|ej|iy|ii|yi)\Z", "i", t)
    t = t.replace("yev", "ev").replace("iev", "ev")
    return t.replace("y", "i").replace("ia", "a").replace("iu", "u").replace("ё", "е")


class _Occupied:
    """Characters already claimed by a mention: one byte per character, so marking and testing a
    span costs its length, whatever the number of mentions (sorted lists went quadratic on 1 MB)."""

    def __init__(self, size: int) -> None:
        self.marks = bytearray(size)

    def overlaps(self, start: int, end: int) -> bool:
        return self.marks.find(1, start, end) != -1

    def add(self, start: int, end: int) -> None:
        self.marks[start:end] = b"\x01" * (end - start)


class _Lines:
    """Line lookup by offset, built once so long inputs stay linear."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def index(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def length(self, i: int) -> int:
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)
        return end - self.starts[i]

    def line(self, i: int) -> str:
        start = self.starts[i]
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)
        return self.text[start:end]

    def previous_nonempty(self, i: int) -> str | None:
        for j in range(i - 1, max(-1, i - 4), -1):
            line = self.line(j).strip()
            if line:
                return line
        return None


def _word_before(text: str, pos: int) -> tuple[str, int] | None:
    """The word ending right before `pos`, separated from it by one to three whitespace characters."""
    i = pos
    while i > 0 and pos - i < 3 and text[i - 1].isspace():
        i -= 1
    if i == pos or i == 0 or text[i - 1].isspace():
        return None
    j = i
    while j > 0 and i - j < 40 and (text[j - 1].isalnum() or text[j - 1] in "'’-."):
        j -= 1
    word = text[j:i].rstrip(".")
    return (word, j) if word else None


def _words_before(text: str, pos: int, n: int) -> list[str]:
    """Up to `n` words right before `pos` in text order, stopping at punctuation or a line break."""
    out: list[str] = []
    for tok in reversed(_WORDS_WINDOW.findall(text, max(0, pos - 120), pos)):
        if not (tok[0].isalnum() or tok[0] in "'’"):
            break
        out.append(tok)
        if len(out) == n:
            break
    if out and pos - 120 > 0 and text.rfind(out[-1], max(0, pos - 120), pos) == max(0, pos - 120):
        out.pop()  # a word cut by the window's edge
    return out[::-1]


def _words_after(text: str, pos: int, n: int) -> list[tuple[str, int, int]]:
    """Up to `n` words right after `pos` with their offsets, stopping at punctuation or a line break."""
    out: list[tuple[str, int, int]] = []
    for m in _WORDS_WINDOW.finditer(text, pos, pos + 160):
        tok = m.group(0)
        if not (tok[0].isalnum() or tok[0] in "'’"):
            break
        out.append((tok, m.start(), m.end()))
        if len(out) == n:
            break
    return out


def _after_name_word(text: str, pos: int, lx: Lexicon) -> bool:
    """"President Rodrigo Chaves's government": the word before a body comes after another capitalised
    word of a name, so it is a surname, not a town that gives the body its country."""
    prev = _word_before(text, pos)
    return bool(prev and prev[0][:1].isupper() and prev[0] not in lx.function_words
                and not _sentence_start_before(text, prev[1]))


def _strip_possessive(word: str) -> str | None:
    return word[:-2] if len(word) > 2 and word[-2] in "'’" and word[-1] == "s" else None


def _place_at(words: list[str], table: dict[str, str]) -> tuple[str, int] | None:
    """The country of the longest place name (up to 4 words) at the start of `words`, and its length."""
    for k in (4, 3, 2, 1):
        if len(words) >= k and (cc := table.get(" ".join(words[:k]))):
            return cc, k
    return None


def _mention(
    text: str, start: int, end: int, kind: str, rule: str, name: str | None = None, **kw: Any
) -> ActorMention:
    return ActorMention(
        span=Span(start, end, text[start:end]),
        name=name or text[start:end],
        kind=kind,  # type: ignore[arg-type]
        rule=_rule(rule),
        **kw,
    )


def _is_latin_word(tok: str) -> bool:
    return all(ord(c) < 0x250 for c in tok if c.isalpha())


def _mostly_cyrillic(text: str) -> bool:
    if _CYR.search(text) is None:
        return False
    sample = text[:20000]
    letters = len(_LETTER.findall(sample))
    return letters > 0 and len(_CYR.findall(sample)) > letters / 2


def _ru_stem_country(word: str, stems: list[tuple[str, str]], max_ending: int = 4) -> str | None:
    """The country of the first stem in `stems` that `word` starts with, leaving at most
    `max_ending` letters."""
    w = word.lower()
    index = _stem_index(stems)
    if index is not None:
        # Stems run longest first, so the first one `word` starts with is its longest prefix that is a
        # stem: look the word's prefixes up instead of trying every stem.
        for n in range(len(w), max(len(w) - max_ending, 0) - 1, -1):
            if (cc := index.get(w[:n])) is not None:
                return cc
        return None
    for stem, cc in stems:
        if w.startswith(stem) and len(w) - len(stem) <= max_ending:
            return cc
    return None


# id of a stem list -> (the list, its length, stem -> country of its first entry, or None when the
# list does not run longest first). The lexicon's lists are built once and never change after.
_STEM_INDEXES: dict[int, tuple[list[tuple[str, str]], int, dict[str, str] | None]] = {}


def _stem_index(stems: list[tuple[str, str]]) -> dict[str, str] | None:
    entry = _STEM_INDEXES.get(id(stems))
    if entry is None or entry[0] is not stems or entry[1] != len(stems):
        index: dict[str, str] | None = None
        if all(len(a) >= len(b) for (a, _), (b, _) in itertools.pairwise(stems)):
            index = {}
            for stem, cc in stems:
                index.setdefault(stem, cc)
        entry = (stems, len(stems), index)
        _STEM_INDEXES[id(stems)] = entry
    return entry[2]


def _scan(text: str, lx: Lexicon) -> dict[str, list[tuple[int, str]]]:
    """One pass over the words: where each multi-word rule may start, with the word's key.

    Split and accumulate run in C; only the comprehension over lower-cased words runs in Python,
    which keeps this under a millisecond for a 5 KB report."""
    parts = _DISPATCH_SPLIT.split(text)
    offsets = list(itertools.accumulate(map(len, parts), initial=0))
    words = parts[1::2]
    triggers = lx.triggers
    hits: dict[str, list[tuple[int, str]]] = {}
    for k in [k for k, w in enumerate(words) if w.lower() in triggers or w[0].isdigit()]:
        start = offsets[2 * k + 1]
        if start and text[start - 1] == "-":
            continue  # "anti-Kremlin", "law-enforcement": no rule starts inside a compound
        low = words[k].lower()
        if low[0].isdigit():
            if _LETTER.search(text, start, start + 40) is None:
                continue  # a number with no word after it cannot start a group
            hits.setdefault("group_en", []).append((start, low))
            hits.setdefault("group_ru", []).append((start, low))
            continue
        key, rules = triggers[low]
        for rule in rules:
            hits.setdefault(rule, []).append((start, key))
    return hits


# ----------------------------------------------------------------------------------------------
# Agencies
# ----------------------------------------------------------------------------------------------


def _find_agencies(
    text: str, lx: Lexicon, occupied: _Occupied, starts: list[tuple[int, str]]
) -> list[ActorMention]:
    raw: list[tuple[int, int, int]] = []
    for s, key in starts:
        for rx, idx in lx.agency_index.get(key, ()):
            if m := rx.match(text, s):
                raw.append((s, m.end(), idx))
    raw.sort(key=lambda t: (t[0], -(t[1] - t[0])))
    mentions: list[ActorMention] = []
    last_end = -1
    for start, end, idx in raw:
        if start < last_end:
            continue  # a shorter pattern inside a longer match ("police" in "riot police")
        last_end = end
        mention = _agency_in_context(text, start, end, lx.agencies[idx], lx)
        if mention is not None:
            mentions.append(mention)
    mentions += _find_state_bodies(text, lx)
    # Widened names may overlap ("State Security" in "Supreme State Security Prosecution"): the
    # longest wins.
    out: list[ActorMention] = []
    taken = _Occupied(len(text))
    for mention in sorted(mentions, key=lambda a: (-(a.span.end - a.span.start), a.span.start)):
        if not taken.overlaps(mention.span.start, mention.span.end):
            taken.add(mention.span.start, mention.span.end)
            out.append(mention)
    out.sort(key=lambda a: a.span.start)
    for m in out:
        occupied.add(m.span.start, m.span.end)
    return out


_LINK_WORDS = frozenset({"of", "for", "and", "on", "the"})
_CAP_WORD_BEFORE = re.compile(rf"(?<![\w'’-])([{_UP}][\w'’]*(?:-[\w'’]+)*)[ \t]+\Z")
_RU_ADJ_WORD = re.compile(r"(?:ий|ый|ой|ого|ому|ым|ом|ая|ой|ую)\Z")


def _capitalised_start(text: str, start: int, lx: Lexicon, russian: bool) -> int:
    """Where a capitalised name that ends with a body's head begins: "the Cairo Criminal Court",
    "Higher Regional Court", "Верх-Исетский районный суд"; function words, months and nationality
    adjectives (handled as context) stay outside."""
    for _ in range(5):
        m = _CAP_WORD_BEFORE.search(text, max(0, start - 40), start)
        if m is None:
            break
        word = m.group(1)
        if (word in lx.function_words or word in lx.org_reject_words or word in lx.adj_en
                or _strip_possessive(word) or word.lower() in _PERSONNEL_EN
                or _ru_stem_country(word.lower(), lx.ru_adj, 3)):
            break
        if russian and not _RU_ADJ_WORD.search(word):
            break  # only an adjective belongs to a Russian body's name ("Ленинский районный суд")
        if _sentence_start_before(text, m.start(1)) and word.lower() in _STOP_LOWER:
            break
        start = m.start(1)
    return start


def _find_state_bodies(text: str, lx: Lexicon) -> list[ActorMention]:
    """State bodies by the shape of their name, for countries and bodies the lexicon does not list."""
    rx = lx.res.get("state_body")
    if rx is None or not lx.state_body_words:
        return []
    out: list[ActorMention] = []
    for m in rx.finditer(text):
        name = m.group("name")
        words = name.split()
        # Leading words are context, not the name: "Officers of the", "Egypt's", "Kazakh".
        while words and (words[0] in lx.function_words or words[0] in lx.adj_en or words[0] in _LINK_WORDS
                         or words[0].lower() in _PERSONNEL_EN or _strip_possessive(words[0])):
            words = words[1:]
        if len(words) < 2 or not any(w in lx.state_body_words for w in words):
            continue
        if any(w in lx.org_reject_words and w not in lx.state_body_words for w in words):
            continue
        start = m.start("name") + len(name) - len(" ".join(words))
        if text[start:m.end("name")] != " ".join(words):
            start = m.start("name") + name.index(words[0])
        entry = AgencyEntry(id=" ".join(words).lower(), country=None, profile=None, by_country={},
                            place_sets_country=True, requires_country=False)
        mention = _agency_in_context(text, start, m.end("name"), entry, lx)
        if mention is not None:
            out.append(mention)
    return out


def _state_in_sentence(text: str, start: int, end: int, states: set[str], lx: Lexicon) -> str | None:
    """The nearest place of the nationality table in the sentence around [start, end) that lies in one of
    `states`."""
    lo = max((m.end() for m in re.finditer(r"[.!?\n]\s", text[max(0, start - 300):start])), default=0)
    lo += max(0, start - 300)
    hi_m = re.search(r"[.!?\n](?:\s|$)", text[end:end + 300])
    hi = end + (hi_m.start() if hi_m else min(300, len(text) - end))
    best: tuple[int, str] | None = None
    for m in re.finditer(r"[^\W\d_][\w'’-]*", text[lo:hi]):
        word = m.group()
        cc = lx.place_en.get(word) or lx.ru_place.get(word)
        if cc and cc in states:
            pos = lo + m.start()
            dist = start - pos if pos < start else pos - end
            if best is None or dist < best[0]:
                best = (dist, cc)
    return best[1] if best else None


_REGION_NOUNS = frozenset({"области", "району", "краю", "городу", "округу", "республике"})


def _regional_division(after: list[str]) -> str | None:
    """"по Гродненской области" right after a body: the country of the city the adjective names."""
    if len(after) < 3 or after[0] != "по" or after[2].lower() not in _REGION_NOUNS:
        return None
    from kolokol.resolve.gazetteer import city_of_ru_adjective

    city = city_of_ru_adjective(after[1])
    return _gazetteer_country(city) if city else None


@functools.lru_cache(maxsize=4096)
def _gazetteer_country(word: str) -> str | None:
    """The country of a city or country the nationality table does not list, from the gazetteer."""
    from kolokol.resolve.gazetteer import get_gazetteer

    place = get_gazetteer().lookup(word)
    return place.country if place is not None and place.kind in ("city", "country") else None


def _place_inside(text: str, start: int, end: int, lx: Lexicon) -> str | None:
    """The country of a place named inside a body's name ("Cairo Criminal Court", "суд Бишкека", "the Hong
    Kong Police Force": names of two or three words too)."""
    words = re.findall(r"[\w'’-]+", text[start:end])
    for i, word in enumerate(words):
        for n in (3, 2):
            phrase = " ".join(words[i:i + n])
            if len(words) - i >= n and (cc := lx.place_en.get(phrase) or lx.ru_place.get(phrase)):
                return cc
        if cc := lx.place_en.get(word) or lx.ru_place.get(word):
            return cc
    return None


def _agency_in_context(
    text: str, start: int, end: int, entry: AgencyEntry, lx: Lexicon
) -> ActorMention | None:
    """Widen a lexicon match with a nationality adjective, personnel noun or country, and set `country`."""
    ctx: str | None = None
    gazetteer_word: str | None = None
    head = text[start:end]
    if head[:1].isupper() or (_CYR.search(head) and re.search(r"суд|прокуратур|инспекци", head, re.I)):
        # A capitalised name ending in the body's head noun: "the Cairo Criminal Court".
        start = _capitalised_start(text, start, lx, bool(_CYR.search(head)))
        ctx = _place_inside(text, start, end, lx)
    prev = _word_before(text, start)
    if prev:
        word, wstart = prev
        base = _strip_possessive(word)
        if word in lx.adj_en:  # "Kyrgyz security services": the adjective is part of the name
            ctx, start = ctx or lx.adj_en[word], wstart
        elif cc := _ru_stem_country(word, lx.ru_adj, 3):  # "российские силовики"
            ctx, start = cc, wstart
        elif base and base in lx.place_en:  # "Kyrgyzstan's Interior Ministry": country, not name
            ctx = lx.place_en[base]
        elif entry.place_sets_country and word in lx.place_en:  # "Bishkek police"
            ctx = lx.place_en[word]
        elif entry.place_sets_country and word[:1].isupper() and word not in lx.not_name and word.isascii() \
                and not _after_name_word(text, wstart, lx):
            gazetteer_word = base or word  # "Kigali police": tried after the words that follow
        if (prev := _word_before(text, start)) and re.match(
            r"(?:сотрудник|представител)\w{0,3}\Z", prev[0], re.I
        ):
            start = prev[1]  # "сотрудники ФСБ"
    following = _words_after(text, end, 6)
    after = [w for w, _, _ in following]
    ends = [e for _, _, e in following]
    if (
        after
        and after[0].lower() in _PERSONNEL_EN
        and text[start:end].split()[-1].lower() not in _PERSONNEL_EN
    ):
        end = ends[0]  # "GKNB agents", "FSB officers"
        after, ends = after[1:], ends[1:]
    if after and after[0] == "of":
        skip = 2 if len(after) > 1 and after[1] == "the" else 1
        if found := _place_at(after[skip:], lx.place_en):
            ctx = ctx or found[0]
            end = ends[skip + found[1] - 1]  # "Investigative Committee of Russia"
    elif found := _place_at(after, lx.ru_place):
        ctx = ctx or found[0]
        end = ends[found[1] - 1]  # "МВД Кыргызстана", "посольство России"
    elif entry.place_sets_country and after and after[0] in ("in", "в", "во", "по"):
        skip = 2 if len(after) > 1 and after[1] == "the" else 1
        found = _place_at(after[skip:], lx.place_en) or _place_at(after[skip:], lx.ru_place)
        if found:
            ctx = ctx or found[0]  # "police in Bishkek": country only
        elif len(after) > skip and after[skip][:1].isupper() and (after[skip].isascii() or entry.by_country):
            # "police in Kigali"; "ГКНБ в Вахдате" (a body several states name alike)
            gazetteer_word = gazetteer_word or after[skip]

    # "Следственный комитет по Гродненской области", "УВД по Алматинской области": a regional division
    # names its state, even for a body the lexicon ties to one country.
    region = _regional_division(after)
    if region is not None:
        ctx = region
        end = ends[2]
    if ctx is None and entry.place_sets_country:
        # "a Cairo criminal court", "the Almaty city court": a place among the few words before.
        for word in reversed(_words_before(text, start, 3)):
            if cc := lx.place_en.get(word) or lx.ru_place.get(word):
                ctx = cc
                break
            if word.lower() in _STOP_LOWER:
                break
    if ctx is None and gazetteer_word:
        ctx = _gazetteer_country(gazetteer_word)
    if ctx is None and entry.by_country:
        # A body several states name alike ("GKNB"): a city or country of one of them in its sentence
        # ("put on a flight to Dushanbe and detained by officers of the GKNB").
        ctx = _state_in_sentence(text, start, end, set(entry.by_country) | {entry.country or ""}, lx)
    canonical, country = entry.id, entry.country
    if ctx:
        if ctx in entry.by_country:
            canonical, country = entry.by_country[ctx], ctx
        elif entry.country is None or region is not None:
            country = ctx
    if entry.requires_country and country is None:
        return None
    rule = "agency_proxy" if entry.profile == "proxy" else "agency"
    return _mention(
        text, start, end, "agency", rule, country=country, canonical=canonical, profile=entry.profile
    )


# ----------------------------------------------------------------------------------------------
# Organisations
# ----------------------------------------------------------------------------------------------


def _matches(rx: re.Pattern[str], text: str, starts: list[tuple[int, str]] | None) -> list[re.Match[str]]:
    """Anchored matches of a rule at the dispatched start offsets, without overlaps."""
    out: list[re.Match[str]] = []
    last_end = -1
    for s, _ in starts or ():
        if s < last_end:
            continue
        if m := rx.match(text, s):
            out.append(m)
            last_end = m.end()
    return out


def _sentence_start_before(text: str, pos: int) -> bool:
    gap = text[max(0, pos - 3) : pos]
    return pos == 0 or not gap.strip() or bool(re.search(r"[.!?\n:]\s*\Z", gap))


_ADJECTIVE_COMPOUND = re.compile(r"-(?:[a-z]+ed|style|born|run|wide|made|speaking|language)\Z")


_LAW_TITLE_BEFORE = re.compile(
    r"\b(?:Law|Act|Code|Decree|Ordinance|Resolution|Regulation|Statute|Bill)\b[^;:\n]{0,50}?\b(?:on|for|of)"
    r"[ \t]+(?:the[ \t]+)?\Z"
)
# "12 мая активисты": a day and its month are a date, not a count and a modifier ("мая" ends like one).
_RU_MONTHS_GEN = "(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"


_LAW_HEADS = frozenset({"Code", "Act", "Law", "Constitution", "Decree", "Statute", "Ordinance", "Кодекс", "Кодекса",
                        "Закон", "Закона", "Конституция", "Конституции", "Указ", "Указа"})


def _org_name_ok(name: str, lx: Lexicon) -> bool:
    toks = name.split()
    if not toks or len(name) < 2 or _ADJECTIVE_COMPOUND.search(toks[-1]):
        return False  # "a Russia-led regional organization": an adjective, not a name
    if any((_strip_possessive(t) or t) in lx.org_reject_words for t in toks):
        return False
    if toks[-1] in _LAW_HEADS:
        return False  # "the Turkish Penal Code", "the Foreign Agents Act": a law, not an organisation
    # A bare place, nationality or official's surname is not an organisation's name.
    if name in lx.place_words or name in lx.adj_en or name in lx.demonym_en:
        return False
    return not (len(toks) == 1 and fold_name(toks[0]) in lx.officials)


def _nationality_before(text: str, pos: int, lx: Lexicon, n: int = 4) -> str | None:
    """A nationality adjective among the few modifier words right before `pos`."""
    for word in reversed(_words_before(text, pos, n)):
        if word in lx.adj_en:
            return lx.adj_en[word]
        if word.lower() in _STOP_LOWER:
            return None
    return None


# After "the group X": a verb whose subject X runs the group ("the group Hrynkevich helps run", "the centre
# Ivanova founded"): X is a person, the group is unnamed.
_PERSON_RUNS = re.compile(r"[ \t]+(?:helps?|helped|runs|ran|leads|led|founded|co-founded|set[ \t]+up|started|"
                          r"created|heads|headed|chairs|chaired|joined|volunteers|works[ \t]+for|belongs[ \t]+to)"
                          r"(?![\w-])")


def _find_organizations(
    text: str, lx: Lexicon, occupied: _Occupied, hits: dict[str, list[tuple[int, str]]]
) -> list[ActorMention]:
    res = lx.res
    found: list[tuple[int, int, str, str | None, tuple[int, int, str] | None]] = []

    def add(m: re.Match[str], rule: str, nat: str | None) -> None:
        gd = m.groupdict()
        g = "qname" if gd.get("qname") else "name"
        if not gd.get(g):
            return
        s = m.start(g)
        name = re.sub(r"['’]s\Z", "", m.group(g).strip()).rstrip(".,;:")
        e = s + len(name)
        if g == "name" and not _org_name_ok(name, lx):
            return
        if g == "qname" and not (name[:1].isupper() or name[:1].isdigit()):
            return
        alias = None
        if gd.get("alias"):
            a_s = m.start("aname")
            a_name = m.group("aname").strip()
            if a_name[:1].isupper() and _org_name_ok(a_name, lx) and not re.search(r"\d{4}|\bthe\b", a_name):
                alias = (a_s, a_s + len(a_name), a_name)
        found.append((s, e, rule, nat, alias))

    for m in _matches(res["org_head_name"], text, hits.get("org_head")):
        head = m.group("head")
        if head != head.lower() and not _sentence_start_before(text, m.start()):
            continue  # "National Center for ...": part of a name, not a head noun before one
        if m.group("called") == "called" and re.match(r"\s+(?:a|an|the|him|her|them|it)\b", text[m.end() :]):
            continue  # "the band called Putin a ...": a verb, not a naming
        if _PERSON_RUNS.match(text, m.end()):
            continue  # "the diaspora group Hrynkevich helps run": a person running the group, not its name
        add(m, "org_head", _nationality_before(text, m.start(), lx))
    name_head = _matches(res["org_name_head"], text, hits.get("org_det"))
    for rule, matches in (
        ("org_name_head", name_head),
        ("org_quoted", res["org_quoted_head"].finditer(text)),
    ):
        for m in matches:
            mods = m.group("mods").split()
            if any(w.lower() in _STOP_LOWER or (w.endswith(("ed", "ly")) and "-" not in w) for w in mods):
                continue
            add(m, rule, next((lx.adj_en[w] for w in mods if w in lx.adj_en), None))
    # "Kloop, a local outlet, reported": the name comes before its description.
    for m in res["org_appos"].finditer(text):
        mods = m.group("mods").split()
        if any(w.lower() in _STOP_LOWER or (w.endswith(("ed", "ly")) and "-" not in w) for w in mods):
            continue
        n = res["org_name_before"].search(text, max(0, m.start() - 80), m.start())
        if n is None or n.group("name").split()[0].lower() in lx.first_names:
            continue
        name = n.group("name")
        if _org_name_ok(name, lx):
            nat = next((lx.adj_en[w] for w in mods if w in lx.adj_en), None)
            found.append((n.start("name"), n.start("name") + len(name), "org_appos", nat, None))
    for m in _matches(res["org_called"], text, hits.get("org_called")):
        window = re.split(r"[.!?\n]", text[max(0, m.start() - 120) : m.start()])[-1]
        if not res["org_heads_lower"].search(window):
            continue
        if re.match(r"\s+(?:a|an|the|him|her|them|it)\b", text[m.end() :]):
            continue
        add(m, "org_called", None)
    for p, key in hits.get("org_cap", ()):
        head_end = p + len(key)
        if not text[p].isupper():
            continue
        m = res["org_capitalised"].search(text, max(0, p - 150), head_end)
        while m is not None and m.end() != head_end:
            m = res["org_capitalised"].search(text, m.end(), head_end)
        if m is None:
            continue
        toks = m.group("name").split()
        while toks and (toks[0] in lx.function_words or toks[0] in lx.adj_en):
            toks = toks[1:]
        if len(toks) < 2 or any(t in lx.state_words or t in lx.org_reject_words for t in toks):
            continue
        s = m.start("name") + m.group("name").index(toks[0])
        if _LAW_TITLE_BEFORE.search(text, max(0, s - 80), s):
            continue  # "Law No. 58 of 2006 on the Protection of Society": a law's title, not a body
        found.append((s, m.end("name"), "org_capitalised", _nationality_before(text, m.start(), lx), None))
    if _CYR.search(text):
        for m in res["org_ru"].finditer(text):
            add(m, "org_ru", None)

    found.sort(key=lambda t: (t[0], -(t[1] - t[0])))
    out: list[ActorMention] = []
    names: dict[str, tuple[str, str | None]] = {}  # surface form -> (canonical, nationality)
    for s, e, rule, nat, alias in found:
        if occupied.overlaps(s, e):
            continue
        name = text[s:e]
        known = names.get(name) or (names.get(alias[2]) if alias else None)
        canonical = known[0] if known else name
        nat = nat or (known[1] if known else None)
        occupied.add(s, e)
        out.append(_mention(text, s, e, "organization", rule, canonical=canonical, nationality=nat))
        names.setdefault(name, (canonical, nat))
        if alias and not occupied.overlaps(alias[0], alias[1]):
            occupied.add(alias[0], alias[1])
            out.append(
                _mention(
                    text,
                    alias[0],
                    alias[1],
                    "organization",
                    "org_alias",
                    canonical=canonical,
                    nationality=nat,
                )
            )
            names.setdefault(alias[2], (canonical, nat))
    # Later bare mentions of a name the report has introduced ("Zelyonaya Dver’s workshops").
    if names:
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        for m in re.finditer(rf"(?<![\w-])(?:{alternation})(?![\w-])", text):
            if occupied.overlaps(m.start(), m.end()):
                continue
            occupied.add(m.start(), m.end())
            canonical, nat = names[m.group(0)]
            out.append(
                _mention(
                    text,
                    m.start(),
                    m.end(),
                    "organization",
                    "org_repeat",
                    canonical=canonical,
                    nationality=nat,
                )
            )
        # «Полынь» named again in another case («почту «Полыни»): a quoted word of the same stem.
        stems = {n[:-1] if n[-1] in "аяоеьйыиу" else n: n for n in names if re.fullmatch(r"[А-ЯЁ][а-яё]{3,}", n)}
        if stems:
            alternation = "|".join(re.escape(st) for st in sorted(stems, key=len, reverse=True))
            for m in re.finditer(rf"«(?P<name>(?:{alternation})[а-яё]{{0,3}})»", text):
                base = next(n for st, n in stems.items() if m["name"].startswith(st))
                if m["name"] == base or occupied.overlaps(m.start("name"), m.end("name")) or _ROLE_OF.search(
                        text, max(0, m.start() - 30), m.start()):
                    continue  # "главного редактора «Полыни» Ирину Сабурову": where she works, said of her
                occupied.add(m.start("name"), m.end("name"))
                canonical, nat = names[base]
                out.append(_mention(text, m.start("name"), m.end("name"), "organization", "org_repeat",
                                    canonical=canonical, nationality=nat))
    return out


_ROLE_OF = re.compile(r"(?:редактор|корреспондент|журналист|сотрудни|автор|основател|ведущ|колумнист|фотограф)"
                      r"\w*\s+(?:издания\s+|газеты\s+|канала\s+|сайта\s+)?\Z", re.IGNORECASE)


def _ru_nominative(name: str, verb: str) -> str:
    """The nominative of a feminine first word after a verb that governs it: «Группу 24» after
    "признал" and «Группы 24» after "членов" are «Группа 24". Other names are kept as written."""
    first, _, rest = name.partition(" ")
    if len(first) < 4 or not re.fullmatch(r"[А-ЯЁ][а-яё]+", first):
        return name
    genitive = verb.lower().startswith(("член", "участник", "сторонник", "активист"))
    ends = {"у": "а", "ю": "я"} if not genitive else {"ы": "а", "и": "я"}
    if first[-1] in ends and first[-2] not in "аеёиоуыэюя":
        first = first[:-1] + ends[first[-1]]
    return f"{first} {rest}".strip()


def _find_object_organizations(text: str, lx: Lexicon, occupied: _Occupied) -> list[ActorMention]:
    """Organisations known only as the object of a ban, designation or closure ("designated Group 24
    a terrorist organisation", "признал «Группу 24» террористической"), or as the body people are
    members of ("троих членов «Группы 24»"): spans no person or organisation rule has claimed."""
    res = lx.res
    out: list[ActorMention] = []
    found: list[tuple[int, int, str]] = []
    for m in res["org_object_en"].finditer(text):
        g = "name" if m.group("name") else "name2"
        name = m.group(g)
        first = name.split()[0]
        if first in lx.function_words or first.lower() in lx.first_names or not _org_name_ok(name, lx):
            continue
        found.append((m.start(g), m.start(g) + len(name), name))
    if _CYR.search(text):
        for m in res["org_object_ru"].finditer(text):
            name = m.group("qname").strip()
            s = m.start("qname") + m.group("qname").index(name)
            verb = m.group(0).split()[0]
            found.append((s, s + len(name), _ru_nominative(name, verb)))
    for s, e, canonical in found:
        if occupied.overlaps(s, e):
            continue
        occupied.add(s, e)
        out.append(_mention(text, s, e, "organization", "org_object", name=canonical, canonical=canonical))
    return out


# ----------------------------------------------------------------------------------------------
# Persons (English and other Latin-script text)
# ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tok:
    start: int
    end: int
    text: str  # possessive stripped
    sent_start: bool
    initial: bool = False
    adjacent: bool = False  # joined to the previous capitalised token by one or two spaces


@dataclass(slots=True)
class _Person:
    start: int
    end: int
    name: str
    canonical: str
    profile: str | None = None
    nationality: str | None = None
    rule: str = "person"
    surname_key: str | None = None
    first_key: str | None = None
    gender: str | None = None


_SENT_CHARS = frozenset('.!?:;\n“"«—–•|')


def _tokens(text: str, lx: Lexicon) -> list[_Tok]:
    """Capitalised words (and name particles) with what the person rules need to know about them.
    Lower-case words are never name parts, so they are not materialised (this is the hot loop)."""
    toks: list[_Tok] = []
    prev: _Tok | None = None
    for m in lx.res["cap_token"].finditer(text):
        start = m.start()
        word = m.group(0).rstrip("'’-")
        end = start + len(word)
        if len(word) > 3 and word[-2] in "'’" and word[-1] == "s":
            word, end = word[:-2], end - 2
        i = start - 1
        while i >= 0 and text[i] in " \t\u00a0":
            i -= 1
        initial = len(word) == 1 and text[end : end + 1] == "."
        adjacent = False
        if prev is not None:
            gap = text[prev.end : start]
            adjacent = gap in (" ", "  ", "\u00a0") or (prev.initial and gap in (". ", "."))
        prev = _Tok(start, end, word, i < 0 or text[i] in _SENT_CHARS, initial, adjacent)
        toks.append(prev)
    return toks


def _is_cap(tok: _Tok) -> bool:
    w = tok.text
    if "-" in w[:5] and w[:1].islower():
        w = w[w.index("-") + 1:]  # "al-Otaibi": capitalised after its prefix
    return w[:1].isupper() and (tok.initial or not w.isupper()) and (w.isascii() or _is_latin_word(w))


def _role_score(word: str, lx: Lexicon, initial: bool = False) -> tuple[float, str]:
    """How much a capitalised token looks like a name part, and which part (memoised per word)."""
    if initial:
        return 1.0, "initial"
    cached = lx.role_cache.get(word)
    if cached is None:
        cached = _role_score_uncached(word, lx)
        if len(lx.role_cache) < 200_000:  # bounded: hostile input must not grow memory forever
            lx.role_cache[word] = cached
    return cached


def _role_score_uncached(word: str, lx: Lexicon) -> tuple[float, str]:
    low = word.lower()
    if low in lx.particles:
        return 2.0, "particle"
    if low in lx.prefixes:
        return 0.5, "prefix"
    if low.startswith(lx.hyphen_prefixes) and word[:1].islower():
        return 2.0, "surname"  # "al-Otaibi", "ul-Haq"
    if "-" in low and any(part in lx.first_names for part in low.split("-")):
        return 2.0, "first"  # "Jean-Baptiste", "Anne-Marie"
    if fold_name(word) in lx.officials:
        return 3.0, "official"
    if low in lx.first_names:
        return 2.0, "first"
    if len(low) > 6 and low.endswith(lx.patronymic):
        return 2.0, "patronymic"
    for suf in lx.strong:
        if low.endswith(suf) and len(low) >= len(suf) + 3:
            return 2.0, "surname"
    if len(low) >= 5 and low.endswith(lx.first_suffixes):
        return 1.5, "first_guess"
    for suf in lx.weak:
        if low.endswith(suf) and len(low) >= len(suf) + 3:
            return 1.0, "surname_weak"
    return 1.0, "unknown"


def _family_first_name(words: list[str], lx: Lexicon) -> bool:
    """"Do Minh Khoa", "Le Van Hieu": three words, a family name of a family-name-first custom, then a middle
    or given name that custom uses."""
    return len(words) == 3 and words[0][:1].isupper() and words[0].lower() in lx.family_first and (
        words[1].lower() in lx.family_first_middles or words[1].lower() in lx.world_first_names
        or words[2].lower() in lx.world_first_names)


def _family_first_opening(toks: list[_Tok], i: int, lx: Lexicon) -> bool:
    """A family name that is also an English word ("Do"), opening such a name."""
    return i + 2 < len(toks) and all(_is_cap(toks[j]) and toks[j].adjacent for j in (i + 1, i + 2)) and \
        _family_first_name([toks[j].text for j in (i, i + 1, i + 2)], lx)


def _runs(toks: list[_Tok], lx: Lexicon) -> list[list[int]]:
    """Maximal sequences of adjacent capitalised Latin tokens (plus particles and initials)."""
    runs: list[list[int]] = []
    cur: list[int] = []
    for i, t in enumerate(toks):
        # An initial ("A. Petrenko") is a name part even when it spells an article ("A").
        name_like = (
            t.initial
            or (_is_cap(t) and (t.text not in lx.not_name or _family_first_opening(toks, i, lx)))
            or (bool(cur) and t.text.lower() in lx.particles)
            or (bool(cur) and t.text.lower() in lx.prefixes and t.adjacent)
        )
        if cur and (not name_like or not t.adjacent):
            runs.append(cur)
            cur = []
        if name_like:
            cur.append(i)
    if cur:
        runs.append(cur)
    return runs


def _skip_lines(text: str, lines: _Lines, lx: Lexicon) -> _Occupied:
    """Bylines and photo credits: the names on them are not actors of the report."""
    skip = _Occupied(len(text))
    prefixes = "|".join(re.escape(p) for p in sorted(lx.byline_prefixes, key=len, reverse=True))
    byline = re.compile(rf"\s*\(?(?:{prefixes})(?:\s*:\s*|\s+)(?=[{_UP}])")  # "(Reporting by X; Editing by Y)"
    for i, start in enumerate(lines.starts):
        line = lines.line(i)
        if not line.strip():
            continue
        end = start + len(line)
        if byline.match(line) and (len(line.split()) <= 15 or ":" in line[:20]):
            skip.add(start, end)
        elif "©" in line:
            skip.add(start + line.index("©"), end)
        elif " / " in line or "(CC" in line:
            parts = {p.strip() for p in re.split(r"\s*/\s*|[()]", line)}
            if parts & lx.credit_markers or "(CC" in line:
                skip.add(start, end)
    return skip


def _credit_line(p: _Person, text: str, lines: _Lines) -> bool:
    """A line holding only a name, under a different short line (a caption), is a photo credit."""
    i = lines.index(p.start)
    if lines.length(i) > 200:
        return False  # a long line is prose, not a credit (and slicing it per name would be quadratic)
    line = lines.line(i).strip()
    rest = re.sub(r"\s*\([^)]*\)\s*\Z", "", line).rstrip(". ")
    if rest != text[p.start : p.end]:
        return False
    prev = lines.previous_nonempty(i)
    # Captions are short; a paragraph above a lone name makes it a caption of its own, not a credit.
    return prev is not None and prev != line and len(prev.split()) <= 20


def _match_cue(words: list[str], lx: Lexicon) -> tuple[int, str, str | None] | None:
    """The longest cue phrase ending the word list: (length, kind, profile)."""
    for k in range(min(5, len(words)), 0, -1):
        phrase = " ".join(words[-k:]).lower().replace("’", "'")
        if phrase in lx.cues_en:
            return (k, *lx.cues_en[phrase])
    return None


def _cue_at_start(words: list[str], lx: Lexicon) -> tuple[int, str, str | None] | None:
    for k in range(min(5, len(words)), 0, -1):
        phrase = " ".join(words[:k]).lower().replace("’", "'")
        if phrase in lx.cues_en:
            return (k, *lx.cues_en[phrase])
    return None


def _person_cues(text: str, start: int, end: int, lx: Lexicon) -> tuple[str | None, str | None, bool]:
    """(profile, nationality, is_official) from the words around an English name."""
    profile: str | None = None
    nationality: str | None = None
    official = False
    before = _words_before(text, start, 8)
    if cue := _match_cue(before, lx):
        k, kind, prof = cue
        official = kind == "title"
        profile = prof if kind == "profile" else None
        for word in reversed(before[: len(before) - k][-4:]):
            base = _strip_possessive(word)
            if word in lx.adj_en:
                nationality = lx.adj_en[word]
                break
            if base and base in lx.place_en:  # "Kyrgyzstan's president"
                nationality = lx.place_en[base]
                break
            if word.lower() in _STOP_LOWER:
                break
    elif before and before[-1] in lx.adj_en:  # "Russian Olga Morozova"
        nationality = lx.adj_en[before[-1]]
    if (profile is None and not official) or nationality is None:
        p2, n2, o2 = _appositive(text, end, lx)
        if profile is None and not official:
            profile, official = p2, o2
        nationality = nationality or n2
    if nationality is None:
        after = [w for w, _, _ in _words_after(text, end, 4)]
        if after and after[0] == "from":
            skip = 2 if len(after) > 1 and after[1] == "the" else 1
            if found := _place_at(after[skip:], lx.place_en):  # "Dorzho Tsyrenov from Buryatia"
                nationality = found[0]
    return profile, nationality, official


_NON_STATE = re.compile(r"party|movement|opposition|group|association|organi[sz]ation|network|alliance|coalition|"
                        r"community|campaign|diaspora|initiative|foundation|collective|club|band|outlet|newspaper|"
                        r"channel|union|ngo|charity|congress|council|forum|front|bloc")


def _appositive(text: str, end: int, lx: Lexicon) -> tuple[str | None, str | None, bool]:
    """', a Russian journalist', ', the head of ...', ', a Kyrgyz citizen' right after a name."""
    m = re.match(r"(?:['’]s)?[ \t]*,[ \t]*", text[end : end + 8])
    if not m:
        return None, None, False
    words = [w for w, _, _ in _words_after(text, end + m.end(), 9)]
    if words and words[0].lower() in _ARTICLES:
        words = words[1:]
    for i in range(min(5, len(words))):
        mods = words[:i]
        if any(w.lower() in _STOP_LOWER or re.fullmatch(r"\d+,?", w) for w in mods):
            return None, None, False
        if cue := _cue_at_start(words[i:], lx):
            k, kind, prof = cue
            nationality = next((lx.adj_en[w] for w in mods if w in lx.adj_en), None)
            rest = words[i + k :]
            if (
                nationality is None
                and rest
                and rest[0] == "of"
                and (found := _place_at(rest[1:], lx.place_en))
            ):
                nationality = found[0]  # ", a citizen of Kyrgyzstan"
            if kind == "title" and rest and rest[0] == "of" and any(
                    _NON_STATE.fullmatch(w.lower()) for w in rest[1:7]):
                return None, nationality, False  # "the spokesman of the exiled opposition party"
            return (prof if kind == "profile" else None), nationality, kind == "title"
    return None, None, False


def _official_for(tokens: list[str], lx: Lexicon) -> _Official | None:
    firsts = {fold_name(t) for t in tokens}
    for t in tokens:
        entries = lx.officials.get(fold_name(t))
        if not entries:
            continue
        with_first = [e for e in entries if e.first & firsts]
        if with_first:
            return with_first[0]
        loose = [e for e in entries if not e.require_first]
        if loose and len(tokens) == 1:
            return loose[0]
        if loose:
            # An official surname with a first name the lexicon does not list ("Akylbek Zhaparov"):
            # still a state official, but not the listed one.
            return _Official(
                name=" ".join(tokens), country=loose[0].country, first=set(), require_first=False
            )
    return None


def _gender_of(first: str | None, surname: str, lx: Lexicon) -> str | None:
    if first and (info := lx.first_names.get(first.lower())) and info[1]:
        return info[1]
    low = surname.lower()
    if re.search(r"(?:ova|eva|ina|yna|skaya|tskaya|aya|ова|ева|ина|ая)\Z", low):
        return "f"
    if re.search(r"(?:ov|ev|in|yn|sky|skiy|skii|ов|ев|ин|ий)\Z", low):
        return "m"
    return None


def person_gender(name: str) -> str | None:
    """"f" or "m" for a person's name when its first name or surname ending tells it, else None."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", name) if w[:1].isupper()]
    if not words:
        return None
    return _gender_of(words[0] if len(words) > 1 else None, words[-1], get_lexicon()) or (
        get_lexicon().first_names.get(words[0].lower(), (None, None))[1])


def _feminine(surname: str) -> str:
    """Morozov -> Morozova, Zelensky -> Zelenskaya (the form a woman of that family writes)."""
    if re.search(r"(?:ov|ev|in|yn)\Z", surname):
        return surname + "a"
    if m := re.search(r"(?:sk|tsk)(y|iy|ii|i)\Z", surname):
        return surname[: m.start(1)] + "aya"
    return surname


def _find_persons_en(
    text: str, lx: Lexicon, occupied: _Occupied, lines: _Lines, skip: _Occupied
) -> list[_Person]:
    toks = _tokens(text, lx)
    persons: list[_Person] = []
    singles: list[int] = []
    unknown: list[list[int]] = []  # runs of two or three words not taken for a name
    for raw_run in _runs(toks, lx):
        run = _trim_run(raw_run, toks, lx)
        if not run:
            continue
        start, end = toks[run[0]].start, toks[run[-1]].end
        if (
            occupied.overlaps(start, end)
            or skip.overlaps(start, end)
            or _followed_by_institution(run, toks, text, lx)
        ):
            continue
        if len(run) == 1:
            singles.append(run[0])
        elif len(run) <= 4 and (p := _score_run([toks[i] for i in run], text, lx)) is not None:
            persons.append(p)
        elif len(run) in (2, 3):
            unknown.append(run)
    # "Aimable Nkundimana keeps two clocks ... Nkundimana, 44, arrived in 2012": a surname made sure by an
    # age or a profile elsewhere in the report makes the full name a person (rule actors.cued_surname.v1).
    cued = {fold_name(toks[i].text) for i in singles
            if _strong_person_context(text, toks[i].start, toks[i].end, lx)
            and _role_score(toks[i].text, lx)[1] not in ("first", "first_guess")}
    for run in unknown:
        if cued and fold_name(toks[run[-1]].text) in cued and (
                p := _score_run([toks[i] for i in run], text, lx, cued=True)) is not None:
            persons.append(p)

    persons += _paired_first_names(singles, toks, persons, text, lx)
    persons = [p for p in persons if not _credit_line(p, text, lines) and not _city_name(p)]
    persons.sort(key=lambda p: p.start)
    _link_full_names(persons)
    persons += _bare_surnames(singles, toks, persons, text, lx, occupied, skip)
    persons.sort(key=lambda p: (p.start, p.end))
    return persons


def _city_name(p: _Person) -> bool:
    """"San José", "Santa Clara": a city's whole name, though it holds a first name."""
    from kolokol.resolve.gazetteer import get_gazetteer

    place = get_gazetteer().lookup(p.name) if " " in p.name else None
    return place is not None and place.kind == "city"


def _trim_run(run: list[int], toks: list[_Tok], lx: Lexicon) -> list[int]:
    """Cut the words around a name that only look like name parts because they are capitalised:
    "Currently Ivanov", Title Case headlines ("Critic Vladimir Kara-Murza Moved To ...")."""

    def english(i: int) -> bool:
        word = toks[i].text
        if re.search(r"-[A-Z]", word):
            return False  # "El-Sayed", "Abdel-Fattah": a hyphenated name, not an English word
        if i == run[0] and _family_first_name([toks[j].text for j in run], lx):
            return False  # "Do Minh Khoa": a family name written first
        return word.lower() not in lx.first_names and bool(_ENGLISH_SHAPE.search(word.lower()))

    joined = any(_prefixed(toks[i].text, lx) for i in run[1:])  # "Mohammed bin Salman": a name throughout
    while len(run) > 2 and _PROFILE_WORD.fullmatch(toks[run[0]].text):
        run = run[1:]  # "Organiser Selam Tesfay said": a title opening the sentence, not a name part
    while len(run) > 1 and not joined and (english(run[0]) and (toks[run[0]].sent_start or len(run) > 2)):
        run = run[1:]
    while len(run) > 2 and english(run[-1]):
        run = run[:-1]
    # An unknown word before a known first name is not part of the name ("Critic Vladimir ..."); the names
    # of customs that put the family name first ("Tran Minh Duc") do not count.
    firsts = [k for k, i in enumerate(run) if toks[i].text.lower() in lx.first_names
              and toks[i].text.lower() not in lx.world_first_names]
    if firsts and firsts[0] > 0 and len(run) - firsts[0] >= 2 and not _family_first_name(
            [toks[i].text for i in run], lx):
        head = [_role_score(toks[i].text, lx, toks[i].initial)[1] for i in run[: firsts[0]]]
        if all(r in ("unknown", "surname_weak") for r in head):
            run = run[firsts[0] :]
    while run and toks[run[0]].text.lower() in lx.particles | lx.prefixes and not _family_first_name(
            [toks[i].text for i in run], lx):
        run = run[1:]  # a particle only joins a name, never starts one ("Do Minh Khoa" is a family name)
    while run and toks[run[-1]].text.lower() in lx.prefixes:
        run = run[:-1]  # nor ends one ("Ali and de ...")
    return run


def _prefixed(word: str, lx: Lexicon) -> bool:
    """A lower-case name part: "bin", "de", "van", or a prefixed part such as "al-Otaibi"."""
    low = word.lower()
    return low in lx.prefixes or (word[:1].islower() and low.startswith(lx.hyphen_prefixes))


def _paired_first_names(
    singles: list[int], toks: list[_Tok], persons: list[_Person], text: str, lx: Lexicon
) -> list[_Person]:
    """'Denis and Olga Morozov': a first name joined by 'and' to a full name shares its surname."""
    by_start = {p.start: p for p in persons}
    out: list[_Person] = []
    for i in singles:
        t = toks[i]
        info = lx.first_names.get(t.text.lower())
        m = re.match(r"[ \t]+and[ \t]+", text[t.end : t.end + 8])
        if not info or not m:
            continue
        partner = by_start.get(t.end + m.end())
        if partner is None or partner.first_key is None or partner.surname_key is None:
            continue
        surname = partner.name.split()[-1]
        if partner.gender == "f" and re.search(r"(?:ov|ev|in)a\Z", surname):
            surname = surname[:-1]
        name = f"{t.text} {surname}"
        canonical = f"{t.text} {_feminine(surname)}" if info[1] == "f" else name
        out.append(
            _Person(
                t.start,
                partner.end,
                name,
                canonical,
                partner.profile,
                partner.nationality,
                "person_pair",
                fold_name(surname),
                info[0],
                info[1],
            )
        )
    return out


def _bare_surnames(
    singles: list[int],
    toks: list[_Tok],
    persons: list[_Person],
    text: str,
    lx: Lexicon,
    occupied: _Occupied,
    skip: _Occupied,
) -> list[_Person]:
    """A lone capitalised word is a person if it is the surname of a full name in this report,
    an official's surname, or has strong surname morphology right after a profile or title cue."""
    by_key: dict[str, list[_Person]] = {}
    for p in persons:
        # A full name's surname, even when its first name is not in the lexicon ("Vikram Ruzakhunov").
        if p.surname_key and (p.first_key or len(p.name.split()) > 1):
            by_key.setdefault(p.surname_key, []).append(p)
        parts = p.name.split()
        if not p.first_key and len(parts) in (2, 3) and len(parts[0]) >= 3 and parts[0][:1].isupper():
            # Family name first ("Sok Vannarith" ... "Sok", "Nguyen Van Hoa"): the first word of a
            # two- or three-word name that is no known first name is how the report names the person again
            # (rule actors.person_surname.v1).
            by_key.setdefault(fold_name(parts[0]), []).append(p)
    # "Ali Jaffar Mansoor ... Ali received a call": a lone first name of the one full name that opens
    # with it (rule actors.first_name_alone.v1).
    by_first: dict[str, set[str]] = {}
    for p in persons:
        if p.first_key and len(p.name.split()) > 1 and p.profile != "official":
            by_first.setdefault(p.first_key, set()).add(p.canonical)
    taken = _Occupied(len(text))
    for p in persons:
        taken.add(p.start, p.end)
    out: list[_Person] = []
    for i in singles:
        t = toks[i]
        if (
            skip.overlaps(t.start, t.end)
            or occupied.overlaps(t.start, t.end)
            or taken.overlaps(t.start, t.end)
        ):
            continue
        key = fold_name(t.text)
        if key in by_key:
            ref = _pick_referent(by_key[key], t, lx)
            profile, nationality, _ = _person_cues(text, t.start, t.end, lx)
            out.append(
                _Person(
                    t.start,
                    t.end,
                    t.text,
                    ref.canonical,
                    profile or ref.profile,
                    nationality or ref.nationality,
                    "person_surname",
                )
            )
            continue
        # Reports name Slavic and Central Asian people again by their surname; a lone first name there is
        # often someone else's, so only the world's names are read this way.
        first = lx.first_names.get(t.text.lower()) if t.text.lower() in lx.world_first_names else None
        if first is not None and len(named := by_first.get(first[0], set())) == 1:
            profile, nationality, _ = _person_cues(text, t.start, t.end, lx)
            out.append(_Person(t.start, t.end, t.text, next(iter(named)), profile, nationality, "first_name_alone"))
            continue
        if (official := _official_for([t.text], lx)) is not None:
            _, nationality, _ = _person_cues(text, t.start, t.end, lx)
            out.append(
                _Person(
                    t.start,
                    t.end,
                    t.text,
                    official.name,
                    "official",
                    nationality or official.country,
                    "person_official",
                )
            )
            continue
        if _role_score(t.text, lx)[1] == "surname":
            profile, nationality, is_official = _person_cues(text, t.start, t.end, lx)
            if profile or is_official:
                out.append(
                    _Person(
                        t.start,
                        t.end,
                        t.text,
                        t.text,
                        "official" if is_official else profile,
                        nationality,
                        "person_cue",
                        key,
                    )
                )
    return out


def _followed_by_institution(run: list[int], toks: list[_Tok], text: str, lx: Lexicon) -> bool:
    """'Lermontov Street', 'Sakharov Prize': the name is part of a place's or body's name."""
    last = run[-1]
    if last + 1 >= len(toks):
        return False
    nxt = toks[last + 1]
    if not nxt.adjacent:
        return False
    return nxt.text[:1].isupper() and (nxt.text in lx.institution_words or nxt.text in lx.place_words)


def _score_run(run: list[_Tok], text: str, lx: Lexicon, cued: bool = False) -> _Person | None:
    """Decide whether a run of two to four capitalised tokens is a person's name."""
    roles = [_role_score(t.text, lx, t.initial) for t in run]
    kinds = [r for _, r in roles]
    if kinds[-1] == "initial":
        return None
    score = sum(s for s, _ in roles)
    nameish = {"first", "first_guess", "initial", "particle", "surname", "patronymic", "official"}
    start, end = run[0].start, run[-1].end
    if len(run) >= 3 and any(k == "prefix" for k in kinds[1:-1]) and run[0].text[:1].isupper():
        # "Charles de Gaulle", "Joost van Dijk", "Faisal bin Salman": a lower-case part inside
        # capitalised words is the shape of a name whatever its origin.
        score, kinds = max(score, 3.0), [*kinds[:-1], "surname"]
    if _family_first_name([t.text for t in run], lx):
        # "Pham Thi Hoa", "Do Minh Khoa": three words opened by a family name of a family-name-first custom.
        # The report names the person again by the last word ("Thuan"): it stands as the surname does.
        score, kinds = max(score, 3.0), [*kinds[:-1], "surname"]
    if (score < 2 or not nameish & set(kinds)) and len(run) in (2, 3) and set(kinds) <= {"unknown", "surname_weak"} \
            and (cued or _strong_person_context(text, start, end, lx)):
        # Names from anywhere (Uyghur, Turkmen, Arabic, Persian ...) that the name lexicon does not know,
        # made sure by an age ("Memet Abdurehim, 38,") or a kinship or profile apposition ("his brother,
        # Ablikim Abdurehim").
        score, kinds = 3, [*kinds[:-1], "surname"]
    if score < 2 or not nameish & set(kinds):
        return None  # even a cue could not make it a name: skip the context look-up
    profile, nationality, is_official = _person_cues(text, start, end, lx)
    if profile or is_official:
        score += 1
    if score < 3:
        return None
    words = [t.text for t in run]
    first, surname = _split_name(words, kinds, lx)
    name = " ".join(text[start:end].split())  # as written, whitespace folded
    words = [w + "." if t.initial else w for w, t in zip(words, run, strict=True)]
    gender = _gender_of(first, surname, lx)
    canonical = " ".join(words)
    if gender == "f" and first and surname == words[-1] and "particle" not in kinds:
        canonical = " ".join([*words[:-1], _feminine(surname)])
    rule = "person"
    if (official := _official_for(words, lx)) is not None:
        profile, rule = "official", "person_official"
        nationality = nationality or official.country
        if official.first & {fold_name(w) for w in words}:
            canonical = official.name
    elif is_official:
        profile = "official"
    info = lx.first_names.get(first.lower()) if first else None
    first_key = info[0] if info else (fold_name(first) if first else None)
    return _Person(
        start, end, name, canonical, profile, nationality, rule, fold_name(surname), first_key, gender
    )


_AGE_AFTER = re.compile(r",\s+(?:aged\s+)?\d{1,2}(?:,|\s+years?\s+old|\))|,\s+(?:a|an|the)\s+\d{1,2}-year-old\b")
_PROFILE_WORDS = (r"activist|journalist|blogger|vlogger|businessman|businesswoman|poet|writer|dissident|imam|"
                  r"cleric|lawyer|teacher|student|refugee|exile|reporter|editor|singer|musician|artist|"
                  r"scholar|academic|researcher|engineer|doctor|opposition figure|opponent|critic|defender|"
                  r"politician|trader|entrepreneur|worker|migrant|asylum seeker|cameraman|photographer|"
                  r"spokesman|spokeswoman|spokesperson|leader|founder|co-founder|coordinator|chairman|"
                  r"chairwoman|member|witness|organi[sz]er|volunteer|painter|filmmaker|novelist|historian|"
                  r"professor|pastor|priest|accountant|driver|farmer|comedian|rapper|youtuber|economist")
_KIN_BEFORE = re.compile(
    r"(?:\b(?:his|her|their|the)\s+(?:[\w-]+\s+)?(?:wife|husband|brother|sister|son|daughter|mother|father|"
    r"lawyer|colleague|friend|cousin|nephew|niece|uncle|aunt)|\b(?:" + _PROFILE_WORDS + r")|\b(?:Mr|Ms|Mrs|Dr)\.?"
    r"|\b(?:President|Vice[ -]President|Prime Minister|Minister|Senator|Governor|Mayor|Judge|Ambassador|Sheikh))"
    r",?\s+$",
    re.IGNORECASE,
)
_PROFILE_WORD = re.compile(r"(?:" + _PROFILE_WORDS + r")", re.IGNORECASE)
_APPOSITION_AFTER = re.compile(r",\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:" + _PROFILE_WORDS + r")s?\b",
                               re.IGNORECASE)


def _strong_person_context(text: str, start: int, end: int, lx: Lexicon) -> bool:
    """An age, a kinship or profile word before, or a profile apposition after: "Memet Abdurehim, 38,",
    "the poet Abduqadir Tohti", "Akbar Tohti, a Uyghur teacher"."""
    if _AGE_AFTER.match(text, end) or _APPOSITION_AFTER.match(text, end):
        return True
    return bool(_KIN_BEFORE.search(text[max(0, start - 40):start]))


def _split_name(words: list[str], kinds: list[str], lx: Lexicon) -> tuple[str | None, str]:
    """(first name, surname) of a name's words; Kyrgyz order may put the surname first."""
    if "particle" in kinds:
        p = kinds.index("particle")
        father = words[p - 1]  # "Bolotbek kyzy Aigul": the father's name is the family key
        first = next((w for j, w in enumerate(words) if j not in (p - 1, p)), None)
        return first, father
    first = next(
        (w for w, k in zip(words, kinds, strict=True) if k in ("first", "first_guess", "initial")), None
    )
    for w, k in zip(reversed(words), reversed(kinds), strict=True):
        if k in ("surname", "official", "surname_weak", "unknown") and w != first:
            return first, w
    return first, words[-1] if words[-1] != first else words[0]


def _link_full_names(persons: list[_Person]) -> None:
    """Full names of one person written twice (Morozov / Morozova, Aleksei / Alexei) share a canonical."""
    seen: dict[tuple[str, str], _Person] = {}
    for p in persons:
        if not p.surname_key or not p.first_key:
            continue
        key = (p.first_key, p.surname_key)
        if key in seen:
            ref = seen[key]
            p.canonical = ref.canonical
            p.profile = p.profile or ref.profile
            p.nationality = p.nationality or ref.nationality
        else:
            seen[key] = p
    # "Ms Artola Benavides" after "Marisol Artola Benavides": two surnames without the given name are the
    # tail of the one full name that ends with them (rule actors.surnames_tail.v1).
    full = [p for p in persons if p.first_key and len(p.name.split()) >= 3]
    for p in persons:
        words = p.name.split()
        if p.first_key or len(words) != 2:
            continue
        tail = fold_name(p.name)
        refs = {q.canonical for q in full if fold_name(" ".join(q.name.split()[-2:])) == tail}
        if len(refs) == 1:
            ref = next(q for q in full if q.canonical in refs)
            p.canonical = ref.canonical
            p.profile = p.profile or ref.profile
            p.nationality = p.nationality or ref.nationality


def _pick_referent(cands: list[_Person], tok: _Tok, lx: Lexicon) -> _Person:
    """The full name a bare surname refers to: same gendered form if told, else the latest before it."""
    gender = _gender_of(None, tok.text, lx)
    pool = [c for c in cands if gender is None or c.gender in (None, gender)] or cands
    i = _bisect_start(pool, tok.start)
    return pool[i - 1] if i > 0 else pool[0]


def _bisect_start(pool: list[_Person], pos: int) -> int:
    """Index of the first person (sorted by start) starting at or after `pos`."""
    lo, hi = 0, len(pool)
    while lo < hi:
        mid = (lo + hi) // 2
        if pool[mid].start < pos:
            lo = mid + 1
        else:
            hi = mid
    return lo


# ----------------------------------------------------------------------------------------------
# Persons (Russian, natasha)
# ----------------------------------------------------------------------------------------------


@functools.cache
def _natasha() -> tuple[Any, Any, Any]:
    """natasha's segmenter, NER model and pymorphy vocabulary, loaded on the first Russian text only
    (about a second and 100 MB). natasha's morphology tagger is not loaded: it took ~85% of the time
    and is only needed by span.normalize, which _ru_normalize replaces for names."""
    from natasha import MorphVocab, NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding()), MorphVocab()


def _title_word(w: str) -> str:
    return "-".join(p[:1].upper() + p[1:] for p in w.split("-"))


_RU_FEM_ONLY = re.compile(r"(?:овой|евой|ёвой|иной|ыной|ской|цкой|скую|цкую|овну|евну)\Z")
_RU_MASC_ONLY = re.compile(r"(?:овым|евым|ёвым|иным|ыным|ского|цкого|скому|цкому|ским|цким|овичем|евичем)\Z")


def _ru_surname_nominative(word: str, gender: str | None) -> str:
    """Russian surname to the nominative, given the bearer's gender (Рожкова -> Рожков for a man)."""
    if gender == "m":
        word = re.sub(r"(ов|ев|ёв|ин|ын)(а|у|ым|е)\Z", r"\1", word)
        word = re.sub(r"(ск|цк)(ого|ому|им|ом)\Z", r"\1ий", word)
        return re.sub(r"(ович|евич)(а|у|ем|е)\Z", r"\1", word)
    if gender == "f":
        word = re.sub(r"(ов|ев|ёв|ин|ын)(ой|у)\Z", r"\1а", word)
        word = re.sub(r"(ск|цк)(ой|ую)\Z", r"\1ая", word)
        return re.sub(r"(овн|евн)(ы|е|у|ой)\Z", r"\1а", word)
    return word


_TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)


# A man's surname ending in a consonant declines like a noun ("Ковальчука", "Радкевичу",
# "Петросяном"); its case is the case of the first name written with it ("Андрея", "Виктору").
_RU_CONSONANT_STEM_ENDINGS = {"gent": "а", "accs": "а", "datv": "у", "ablt": "ом", "loct": "е"}
_RU_CONSONANT = "бвгджзклмнпрстфхцчшщ"


def _ru_oblique_ending(word: str, vocab: Any) -> str | None:
    """The ending a consonant-stem surname takes in the case of this first name ("Андрея": "а")
    when every reading of the first name agrees on it; None in the nominative."""
    cases = {str(f.tag.case) for f in vocab.parse(word) if "Name" in str(f.tag) and "plur" not in str(f.tag)}
    endings = {_RU_CONSONANT_STEM_ENDINGS.get(c) for c in cases}
    return endings.pop() if len(endings) == 1 else None


def _ru_consonant_surname_nominative(word: str, ending: str | None) -> str:
    """"Ковальчука" with "Андрея" -> "Ковальчук" (part of the person_ru rule)."""
    if not ending or not word.endswith(ending) or len(word) - len(ending) < 3:
        return word
    stem = word[: -len(ending)]
    return stem if stem[-1] in _RU_CONSONANT else word


def _ru_first_name(word: str, vocab: Any, lx: Lexicon) -> tuple[str, str | None] | None:
    """(nominative, gender) when pymorphy knows the word as a first name. Among its readings
    ("Юлию": Юлия or Юлий), prefer a name the lexicon lists in transliteration (Yuliya)."""
    options = []
    for form in vocab.parse(word):
        tag = str(form.tag)
        if "Name" in tag and "plur" not in tag:
            gender = "f" if "femn" in tag else "m" if "masc" in tag else None
            known = form.normal.translate(_TRANSLIT) in lx.first_names
            options.append((not known, len(options), _title_word(form.normal), gender))
    if not options:
        return None
    _, _, normal, gender = min(options)
    return normal, gender


def _ru_normalize(words: list[str], vocab: Any, lx: Lexicon) -> tuple[list[str], str | None, int | None]:
    """A Russian name in the nominative without natasha's morphology model (its slowest part):
    first names from pymorphy's lemma, the other words by surname endings for the gender the first
    name tells. Returns (words, gender, index of the first name)."""
    gender: str | None = None
    first_at: int | None = None
    out = list(words)
    for i, w in enumerate(words):
        if w.lower() in _PARTICLES_RU:
            out[i] = w.lower()
            continue
        if first_at is None and not _RU_SURNAME_SHAPE.search(w) and (found := _ru_first_name(w, vocab, lx)):
            out[i], gender, first_at = found[0], found[1], i
    if gender is None:
        for w in words:
            if _RU_FEM_ONLY.search(w):
                gender = "f"
            elif _RU_MASC_ONLY.search(w):
                gender = "m"
    if first_at is not None:
        ending = _ru_oblique_ending(words[first_at], vocab) if gender == "m" else None
        for i, w in enumerate(words):
            if i != first_at and w.lower() not in _PARTICLES_RU:
                out[i] = _ru_surname_nominative(w, gender)
                if out[i] == w and i > first_at:
                    out[i] = _ru_consonant_surname_nominative(w, ending)
    elif gender is not None and len(words) == 1:
        out[0] = _ru_surname_nominative(words[0], gender)
    return out, gender, first_at


_RU_FIRST_SURNAME = re.compile(
    r"(?<![\w-])([А-ЯЁ][а-яё]{2,})[ \t]+([А-ЯЁ][а-яё]+(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|"
    r"енко|ук|юк|дзе|швили|ян|янц|ли|лы|иди|оглу))(?![\w-])")
_RU_SURNAME_SHAPE = re.compile(r"(?:ов|ев|ёв|ин|ын|ск|цк)(?:а|у|ым|е|ой|ий|ая|ого|ому|им|ом|ую)?\Z")


def _ner_tagged(text: str) -> list[tuple[int, int, str]]:
    """natasha's NER spans of `text` as (start, stop, type), as `Doc.tag_ner` finds them.

    Runs the NER model directly: `Doc.segment` (natasha's own tokens and sentences, a second razdel
    pass) is not needed for the spans. The model reads the whole text as one sequence, and its CRF
    layer is decoded with `_viterbi`, which does for one sequence what slovnet's batched decoder does.
    """
    import numpy as np
    from razdel import tokenize

    if not text.strip():
        return []
    infer = _natasha()[1].infer
    words = [token.text for token in tokenize(text)]  # slovnet's text_words, without its Token records
    # slovnet's encoder for one text: a batch of one sequence of (word id, shape id), no padding.
    ids = [_ner_word_ids(w) for w in words]
    word_id = np.array([[w for w, _ in ids]])
    shape_id = np.array([[s for _, s in ids]])
    pad_mask = word_id == infer.encoder.words_vocab.pad_id
    emissions = infer.model(word_id, shape_id, pad_mask)
    crf = infer.model.head.crf
    if pad_mask.any():  # a word that encodes as padding: slovnet's own masked decoding
        best = [int(i) for i in crf.decode(emissions, ~pad_mask)[0]]
    else:
        best = _viterbi(emissions[0], crf.transitions.array)
    tags = [infer.decoder.tags_vocab.decode(i) for i in best]
    return _bio_spans(text, words, tags)


@functools.lru_cache(maxsize=1 << 16)
def _ner_word_ids(word: str) -> tuple[int, int]:
    """The NER model's (word id, shape id) of a word, as slovnet's encoder makes them (memoised)."""
    from slovnet.shape import word_shape

    encoder = _natasha()[1].infer.encoder
    return encoder.words_vocab.encode(word.lower()), encoder.shapes_vocab.encode(word_shape(word))


def _bio_spans(text: str, words: list[str], tags: list[str]) -> list[tuple[int, int, str]]:
    """slovnet's `BIOMarkup.to_span`: each word found in `text` after the one before, B-/I- runs of
    words joined into (start, stop, type) spans; an I- tag with no run open starts none."""
    spans: list[tuple[int, int, str]] = []
    kind: str | None = None
    start = stop = offset = 0
    for word, tag in zip(words, tags, strict=True):
        begin = text.find(word, offset)
        offset = begin + len(word)
        part, _, tail = tag.partition("-")
        if part == "O":
            if kind:
                spans.append((start, stop, kind))
                kind = None
        elif part == "B":
            if kind:
                spans.append((start, stop, kind))
            kind = tail or None
            start, stop = begin, offset
        elif part == "I":
            stop = offset
    if kind:
        spans.append((start, stop, kind))
    return spans


def _viterbi(emissions: Any, transitions: Any) -> list[int]:
    """The best tag path of one sequence (seq x tags emissions) under a CRF's transition scores.

    The same arithmetic, in the same order, as slovnet's `CRF.decode` for a batch of one unpadded
    sequence (scores are `(score + transitions) + emission`, ties go to the lowest tag), so the
    paths are identical; without the batch dimension each step costs a few small numpy calls.
    """
    score = emissions[0]
    history = []
    for index in range(1, len(emissions)):
        step = score[:, None] + transitions + emissions[index][None, :]  # from-tag x to-tag
        history.append(step.argmax(0))
        score = step.max(0)
    best = int(score.argmax())
    path = [best]
    for indexes in reversed(history):
        best = int(indexes[best])
        path.append(best)
    path.reverse()
    return path


def _ner_spans(text: str) -> list[tuple[int, int]]:
    """natasha's PER spans (its morphology model is not run: _ru_normalize does the names)."""
    spans = []
    for start, stop, kind in _ner_tagged(text):
        if kind != "PER":
            continue
        # natasha reads across line breaks ("... Ризвона Алидодова\nМеня зовут"): a name never does.
        newline = text.find("\n", start, stop)
        if newline != -1:
            stop = newline
        if text[start:stop].strip():
            spans.append((start, len(text[:stop].rstrip())))
    return spans


def _find_persons_ru(text: str, lx: Lexicon, occupied: _Occupied, skip: _Occupied) -> list[_Person]:
    res = lx.res
    vocab = _natasha()[2]
    # Kyrgyz patronymics natasha misses or cuts: "Гульмира Макамбай кызы", "Бакыт Азамат уулу".
    spans: list[tuple[int, int]] = []
    for start, end in _ner_spans(text):
        # natasha sometimes takes a cue word into the name ("Кыргызстанца Бакыта Азамат"): drop it.
        parts = text[start:end].split(maxsplit=1)
        if len(parts) == 2 and res["ru_cue_word"].match(parts[0].lower()):
            start = text.index(parts[1], start)
        if (m := res["ru_particle_after"].match(text, end)) or (
            len(text[start:end].split()) == 1 and (m := res["ru_name_particle_after"].match(text, end))
        ):
            end = m.end()
        if m := res["ru_particle_before"].search(text, max(0, start - 40), start):  # "... кызы Гульмира"
            start = m.start()
        spans.append((start, end))
    claimed = _Occupied(len(text))
    for s, e in spans:
        claimed.add(s, e)
    for m in res["ru_kyrgyz_name"].finditer(text):
        if not claimed.overlaps(m.start(), m.end()):
            spans.append((m.start(), m.end()))
            claimed.add(m.start(), m.end())
    # A first name and a surname natasha did not tag ("Курбан Мередов в своей мастерской").
    for m in _RU_FIRST_SURNAME.finditer(text):
        if not claimed.overlaps(m.start(), m.end()) and _ru_first_name(m.group(1), vocab, lx):
            spans.append((m.start(), m.end()))
    spans.sort()

    persons: list[_Person] = []
    for start, end in spans:
        if occupied.overlaps(start, end) or skip.overlaps(start, end):
            continue
        surface = text[start:end]
        words = surface.split()
        canonical_words, gender, first_at = _ru_normalize(words, vocab, lx)
        if gender is None and len(words) == 1:
            gender = _ru_gender_from_verb(text, end)
        canonical = " ".join(canonical_words)
        profile, nationality, official = _ru_person_cues(text, start, end, lx)
        rule = "person_ru_patronymic" if any(w.lower() in _PARTICLES_RU for w in words) else "person_ru"
        off = _official_for(canonical_words, lx) or _official_for(words, lx)
        if off is not None:
            profile, rule = "official", "person_official"
            nationality = nationality or off.country
            if off.first & {fold_name(w) for w in canonical_words} or len(words) == 1:
                canonical = off.name
        elif official:
            profile = "official"
        if first_at is None and len(words) == 2 and not any(w.lower() in _PARTICLES_RU for w in words) \
                and _RU_SURNAME_SHAPE.search(words[1]):
            first_at = 0  # a first name pymorphy does not know ("Эльвина Гасымова"): natasha saw two words
        kinds = [
            "particle" if w in _PARTICLES_RU else "first" if i == first_at else "surname"
            for i, w in enumerate(canonical_words)
        ]
        first, surname = _split_name(canonical_words, kinds, lx)
        if len(canonical_words) == 1:
            first = None
        persons.append(
            _Person(
                start,
                end,
                surface,
                canonical,
                profile,
                nationality,
                rule,
                fold_name(surname),
                fold_name(first) if first else None,
                gender,
            )
        )
    # Surname-only mentions point to the full name of the same report.
    fulls: dict[str, list[_Person]] = {}
    for p in persons:
        if p.first_key and p.surname_key:
            fulls.setdefault(p.surname_key, []).append(p)
    for p in persons:
        if p.first_key is None and p.surname_key in fulls and p.rule != "person_official" \
                and len(p.name.split()) == 1:
            # Only a bare surname, and only to a name of the same gender ("Галине Кравец" is not her son
            # "Алесь Кравец").
            cands = [
                c for c in fulls[p.surname_key or ""] if p.gender is None or c.gender in (None, p.gender)
            ]
            if not cands:
                continue
            i = _bisect_start(cands, p.start)
            ref = cands[i - 1] if i > 0 else cands[0]
            p.canonical, p.rule = ref.canonical, "person_ru_surname"
            p.profile = p.profile or ref.profile
            p.nationality = p.nationality or ref.nationality
    return persons


def _ru_gender_from_verb(text: str, end: int) -> str | None:
    """'Кулешова рассказала': a past-tense verb right after a bare surname tells the gender."""
    m = re.match(r"\s+(?:не\s+)?([а-яё]+)", text[end : end + 40])
    if not m:
        return None
    verb = m.group(1)
    if verb.endswith(("ла", "лась")):
        return "f"
    if verb.endswith(("ал", "ил", "ел", "ял", "ался", "ился", "ался", "ул")):
        return "m"
    return None


def _ru_person_cues(text: str, start: int, end: int, lx: Lexicon) -> tuple[str | None, str | None, bool]:
    """(profile, nationality, is_official) from Russian words around a name."""
    res = lx.res
    before = res["ru_cue_before"].search(text, max(0, start - 80), start)
    if (
        before is not None
        and before.start() > 0
        and (text[before.start() - 1].isalnum() or text[before.start() - 1] == "-")
    ):
        before = None  # the cue word was cut: "ист" of "журналист" is not a cue
    after = res["ru_appos"].match(text[end : end + 120])
    profile: str | None = None
    nationality: str | None = None
    official = False
    for m in (before, after):
        if m is None:
            continue
        groups = m.groupdict()
        if groups.get("adj"):
            nationality = nationality or _ru_stem_country(groups["adj"], lx.ru_adj, 3)
        if groups.get("prof") and profile is None and not official:
            word = groups["prof"].lower()
            profile = next((v for k, v in lx.profiles_ru if word.startswith(k)), None)
        if groups.get("title") and profile is None:
            official = True
        if groups.get("dem"):
            nationality = nationality or _ru_stem_country(groups["dem"], lx.ru_demonym)
        if groups.get("place"):
            nationality = nationality or lx.ru_place.get(groups["place"])
    return profile, nationality, official


# ----------------------------------------------------------------------------------------------
# Groups
# ----------------------------------------------------------------------------------------------


def _parse_number_en(s: str, lx: Lexicon) -> int | None:
    s = " ".join(s.strip().lower().split())
    mult = 1
    if m := re.search(r"\s(thousand|million)\Z", s):
        mult = 1000 if m.group(1) == "thousand" else 1_000_000
        s = s[: m.start()]
    if re.fullmatch(r"[\d,.]+", s):
        try:
            return round(float(s.replace(",", "")) * mult)
        except ValueError:
            return None
    if s in lx.number_en:
        return lx.number_en[s] * mult
    total = 0
    for part in re.split(r"[-\s]+", s):
        if part not in lx.number_en:
            return None
        total += lx.number_en[part]
    return total * mult or None


def _parse_number_ru(s: str, lx: Lexicon) -> int | None:
    s = s.strip().lower().replace("\u00a0", " ")
    if re.fullmatch(r"[\d ]+", s):
        return int(s.replace(" ", ""))
    total = 0
    for part in s.split():
        if part not in lx.number_ru:
            return None
        total += lx.number_ru[part]
    return total or None


# "a refugee aid group", "migrant rights centre", "exile community network": the people's noun names
# what an organisation works for (rule actors.group_modifier.v1); the organisation is no victim group.
_MODIFIES_BODY = re.compile(
    r"(?:['’]s?)?\s+(?:(?:aid|rights|support|advocacy|legal|welfare|solidarity|community|relief|help|self-help|"
    r"diaspora|defen[cs]e|protection)\s+){1,2}(?:groups?|organi[sz]ations?|networks?|charit(?:y|ies)|"
    r"cent(?:re|er)s?|associations?|unions?|councils?|funds?|foundations?|projects?|agenc(?:y|ies)|"
    r"committees?|NGOs?|societ(?:y|ies)|coalitions?|alliances?|hotlines?|initiatives?|platforms?)(?![\w-])|"
    r"\s+(?:card|status|camp|visa|permit|passport|certificate|claim|application|quota|programme|program|"
    r"hostel|dormitory|shelter|settlement)s?(?![\w-])", re.IGNORECASE)


def _find_groups(
    text: str, lx: Lexicon, occupied: _Occupied, hits: dict[str, list[tuple[int, str]]],
    orgs: list[ActorMention] | None = None,
) -> list[ActorMention]:
    orgs = orgs if orgs is not None else []
    res = lx.res
    out: list[ActorMention] = []
    en_starts = hits.get("group_en") or []
    for m in _all_matches(res["group_en"], text, en_starts):
        if m.group("noun") in lx.adj_en and re.match(r"\s+[a-z]", text[m.end("noun") : m.end("noun") + 3]):
            continue  # "some Kyrgyz observers": "Kyrgyz" is an adjective here
        if _MODIFIES_BODY.match(text, m.end()):
            continue
        count = None
        if m.group("num") and not m.group("num2"):
            raw = m.group("num")
            if raw[0].isdigit():
                if res["num_blocker"].search(text, max(0, m.start() - 14), m.start()):
                    continue  # "June 2 people ...", "Article 431 ...": not a head count
                if re.fullmatch(r"(?:19|20)\d\d", raw):
                    continue  # a year
            count = _parse_number_en(raw, lx)
        out.append(
            _mention(
                text,
                m.start(),
                m.end(),
                "group",
                "group_en",
                count=count,
                nationality=_group_nationality_en(m, lx),
            )
        )
    for m in _all_matches(res["group_en_one"], text, [h for h in en_starts if h[1] in ("a", "an", "one")]):
        if _MODIFIES_BODY.match(text, m.end()):
            continue
        nationality = _group_nationality_en(m, lx)
        # "a journalist" alone is too vague to be a target; "a Russian citizen", "a political emigre",
        # "a foreigner" and "one detainee" are the single unnamed victims reports do describe.
        if not (
            nationality
            or m.group("mods").strip()
            or m.group("quant").lower() == "one"
            or m.group("noun").lower() in _SINGULAR_ALONE
        ):
            continue
        out.append(
            _mention(text, m.start(), m.end(), "group", "group_en_one", count=1, nationality=nationality)
        )
    for m in _all_matches(res["group_ru"], text, hits.get("group_ru") or []):
        count = None
        if m.group("num"):
            if m.group("num")[0].isdigit() and res["num_blocker"].search(
                text, max(0, m.start() - 14), m.start()
            ):
                continue
            count = _parse_number_ru(m.group("num"), lx)
            if count is not None and m.group("thousand"):
                count *= 1000
        nat = next((cc for w in m.group("mods").split() if (cc := _ru_stem_country(w, lx.ru_adj, 3))), None)
        nat = nat or _ru_stem_country(m.group("noun"), lx.ru_demonym)
        if m.group("place"):
            nat = nat or lx.ru_place.get(m.group("place"))
        out.append(_mention(text, m.start(), m.end(), "group", "group_ru", count=count, nationality=nat))
    for m in res["group_ru_one"].finditer(text) if _CYR.search(text) else ():
        out.append(
            _mention(
                text,
                m.start(),
                m.end(),
                "group",
                "group_ru_one",
                count=1,
                nationality=lx.ru_place[m.group("place")],
            )
        )
    out.sort(key=lambda a: (a.span.start, -(a.span.end - a.span.start)))
    kept: list[ActorMention] = []
    for g in out:
        inner = [o for o in orgs if g.span.start < o.span.start and o.span.end < g.span.end]
        if inner and g.count and not any(o.span.start < g.span.end and g.span.start < o.span.end
                                         for o in orgs if o not in inner):
            # "three other Lao Dawn members": the organisation names whose members the group are.
            for o in inner:
                orgs.remove(o)
            kept.append(g)
            continue
        if not occupied.overlaps(g.span.start, g.span.end):
            occupied.add(g.span.start, g.span.end)
            kept.append(g)
    return kept


def _all_matches(rx: re.Pattern[str], text: str, starts: list[tuple[int, str]]) -> list[re.Match[str]]:
    """Anchored matches at every dispatched offset; overlaps are resolved by the caller (longest first)."""
    return [m for s, _ in starts if (m := rx.match(text, s))]


def _group_nationality_en(m: re.Match[str], lx: Lexicon) -> str | None:
    for w in lx.res["adj_word"].findall(m.group("mods")):
        return lx.adj_en.get(w)
    if m.group("noun") in lx.demonym_en:
        return lx.demonym_en[m.group("noun")]
    if m.group("place"):
        return lx.place_en.get(m.group("place"))
    return None


def _share_attributes(persons: list[_Person]) -> None:
    """Mentions of one person (same canonical) share the nationality and profile the report gives
    anywhere: "Aida Sultanova says ..." early, "Kyrgyz rights defender Aida Sultanova" later."""
    nationality: dict[str, str] = {}
    profile: dict[str, str] = {}
    for p in persons:
        if p.nationality:
            nationality.setdefault(p.canonical, p.nationality)
        if p.profile:
            profile.setdefault(p.canonical, p.profile)
    for p in persons:
        p.nationality = p.nationality or nationality.get(p.canonical)
        p.profile = p.profile or profile.get(p.canonical)


def _describes_person(g: ActorMention, ends: dict[int, int], starts: dict[int, int], text: str) -> bool:
    """'Pavel Smirnov, a Russian journalist' and 'one detainee, Bolot Asanov' name a person,
    not a group. `ends`/`starts` map person end/start offsets to their count."""
    if g.count != 1:
        return False
    for gap in range(4):
        if g.span.start - gap in ends and text[g.span.start - gap : g.span.start].strip() in (",", ""):
            return True
        if g.span.end + gap in starts and text[g.span.end : g.span.end + gap].strip() in (",", ""):
            return True
    return False


# ----------------------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------------------


def find_actors(text: str, lang: str = "en") -> list[ActorMention]:
    """Persons, organisations, groups and state bodies named in `text`, sorted by position.

    `lang` is the report's language code; Russian text ("ru", or mostly Cyrillic) also gets
    natasha's person recogniser. Spans index `text` exactly; each mention names its rule.
    """
    if not text or not text.strip():
        return []
    lx = get_lexicon()
    occupied = _Occupied(len(text))
    lines = _Lines(text)
    hits = _scan(text, lx)
    agencies = _find_agencies(text, lx, occupied, hits.get("agency") or [])
    orgs = _find_organizations(text, lx, occupied, hits)
    skip = _skip_lines(text, lines, lx)

    persons = _find_persons_en(text, lx, occupied, lines, skip)
    if (lang or "").lower().startswith("ru") or _mostly_cyrillic(text):
        taken = _Occupied(len(text))
        for p in persons:
            taken.add(p.start, p.end)
        persons += [
            p for p in _find_persons_ru(text, lx, occupied, skip) if not taken.overlaps(p.start, p.end)
        ]
    for p in persons:
        if not occupied.overlaps(p.start, p.end):
            occupied.add(p.start, p.end)
    orgs += _find_object_organizations(text, lx, occupied)
    ends = {p.end: 1 for p in persons}
    starts = {p.start: 1 for p in persons}
    groups = [
        g for g in _find_groups(text, lx, occupied, hits, orgs) if not _describes_person(g, ends, starts, text)
    ]

    _share_attributes(persons)
    person_mentions = [
        _mention(
            text,
            p.start,
            p.end,
            "person",
            p.rule,
            name=p.name,
            canonical=p.canonical,
            profile=p.profile,
            nationality=p.nationality,
        )
        for p in persons
    ]
    _inherit_agency_country(agencies, lx)
    out = agencies + orgs + person_mentions + groups
    out.sort(key=lambda a: (a.span.start, a.span.end))
    return out


def _inherit_agency_country(agencies: list[ActorMention], lx: Lexicon) -> None:
    """"ГКНБ Таджикистана ... ГКНБ": a body named again without its country is the one named before
    with it, when the lexicon would otherwise give it another state's default."""
    named: dict[str, tuple[str | None, str]] = {}
    for agency in agencies:
        key = agency.span.text.split()[-1].lower() if agency.span.text.isupper() else None
        words = agency.span.text.split()
        head = next((w.lower() for w in words if w.isupper() and len(w) > 1), None)
        key = head or key
        if key is None or not agency.country:
            continue
        entry = next((e for e in lx.agencies if e.id == agency.canonical), None)
        explicit = len(words) > 1 or (entry is not None and entry.country != agency.country)
        if explicit:
            named[key] = (agency.canonical, agency.country)
        elif key in named and named[key][1] != agency.country:
            agency.canonical, agency.country = named[key]
