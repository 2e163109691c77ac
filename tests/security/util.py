"""Helpers of the encryption tests: reports that name made-up people, and a scanner that looks for
those names in every file under a folder, in the encodings and cases a leak could take."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path

from kolokol.extract.names import fold_name

REPORT = textwrap.dedent("""\
    ---
    source_id: "{sid}"
    url: "{url}"
    outlet: "{outlet}"
    title: "{title}"
    published: "{published}"
    lang: "{lang}"
    ---
    {title}

    {body}
    """)


def write_report(folder: Path, name: str, *, sid: str, title: str, body: str, url: str = "https://example.org/x",
                 outlet: str = "Example Wire", published: str = "2024-03-05", lang: str = "en") -> Path:
    path = folder / name
    path.write_text(REPORT.format(sid=sid, url=url, outlet=outlet, title=title, published=published, lang=lang,
                                  body=body), encoding="utf-8")
    return path


def needles(words: Iterable[str]) -> set[bytes]:
    """Each word (and its folded transliteration) as UTF-8, UTF-16-LE and UTF-16-BE, in lower,
    upper and title case. Matching is also done on ASCII-lower-cased bytes (see `find_leaks`)."""
    forms: set[str] = set()
    for word in words:
        for variant in {word, fold_name(word)}:
            forms.update({variant, variant.lower(), variant.upper(), variant.title()})
    out: set[bytes] = set()
    for form in forms:
        if len(form) < 6:
            continue
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            out.add(form.encode(encoding))
    return out


def files_under(root: Path, skip: Iterable[Path] = ()) -> list[Path]:
    skipped = [p.resolve() for p in skip]
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if any(path.resolve().is_relative_to(s) for s in skipped):
            continue
        found.append(path)
    return found


def find_leaks(paths: Iterable[Path], words: Iterable[str]) -> list[str]:
    """'file: needle' for every needle found in plain text in a file."""
    wanted = needles(words)
    lowered = {n.lower() for n in wanted}
    hits = []
    for path in paths:
        try:
            data = path.read_bytes()
        except (PermissionError, FileNotFoundError):  # a file that vanished (or a socket) between list and read
            continue
        low = data.lower()
        for needle in sorted(wanted):
            if needle in data or needle.lower() in low:
                hits.append(f"{path}: {needle!r}")
                break
        else:
            if any(n in low for n in lowered):
                hits.append(f"{path}: (case-folded)")
    return hits
