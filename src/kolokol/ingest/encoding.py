"""Bytes to text: refuse binary files, decode UTF-8 first, then a cautious charset guess.

Compressed inputs are refused by their magic number rather than decompressed, so a decompression
bomb can never be expanded here.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from kolokol.errors import IngestError

# Leading bytes of formats that are never a news report we can read as text.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP archive or office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy office document"),
    (b"\x7fELF", "executable"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"\x00asm", "WebAssembly"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
)
RIFF_KINDS = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}

# Candidate legacy encodings for the region's languages (Latin, Cyrillic, Turkish), most likely
# first: when the detector finds several equally plausible, the earlier one wins. Far-eastern
# multibyte codecs are left out on purpose: they "decode" short Cyrillic texts into nonsense.
PREFERRED = (
    "cp1252", "cp1251", "koi8_r", "cp1254", "latin_1", "iso8859_15", "koi8_u", "kz1048", "cp866",
    "mac_cyrillic", "iso8859_5", "iso8859_9", "cp1250", "iso8859_2", "cp1257",
)
_CONTROL = frozenset(range(0, 32)) - {9, 10, 12, 13, 27}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)


def sniff_binary(data: bytes) -> str | None:
    """A short description of what binary format `data` is, or None when it may be text."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] in RIFF_KINDS:
        return RIFF_KINDS[data[8:12]]
    if data[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 text legitimately contains NUL bytes
    head = data[:8192]
    if b"\x00" in head:
        return "contains NUL bytes"
    if head and sum(b in _CONTROL or b == 127 for b in head) > len(head) * 0.1:
        return "mostly non-text bytes"
    return None


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML/XML document declares in its first bytes, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        match = re.search(rb"""<\?xml[^>]{0,200}encoding\s*=\s*["']([A-Za-z0-9_.:-]{2,40})""", data[:512])
    return _codec_name(match.group(1).decode("ascii")) if match else None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode `data` to text; return (text, encoding). Raises IngestError with a one-line reason.

    Order: byte-order mark, strict UTF-8 (valid UTF-8 is almost never another encoding), the
    charset the document or server declared, then charset-normalizer's guess restricted to the
    encodings in PREFERRED with low "chaos" (mess) scores.
    """
    kind = sniff_binary(data)
    if kind:
        raise IngestError(f"binary file ({kind})")
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _check_text(data.decode(name)), name
            except UnicodeDecodeError as exc:
                raise IngestError(f"invalid {name} text (byte {exc.start})") from None
    try:
        return _check_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    codec = _codec_name(declared)
    if codec and codec not in {"utf-8", "utf-16", "utf-32"}:
        try:
            return _check_text(data.decode(codec)), codec
        except UnicodeDecodeError:
            pass  # the declaration lies; guess instead
    return _guess(data)


def _guess(data: bytes) -> tuple[str, str]:
    matches = list(from_bytes(data, cp_isolation=list(PREFERRED)))
    if not matches:
        raise IngestError("unknown text encoding")
    # Keep the least messy decodings, then the most coherent among them, then prefer by PREFERRED.
    least_chaos = min(m.chaos for m in matches)
    calm = [m for m in matches if m.chaos <= least_chaos + 0.01]
    best_coherence = max(m.coherence for m in calm)
    plausible = [m for m in calm if m.coherence >= best_coherence - 0.05]

    def rank(name: str) -> int:
        return PREFERRED.index(name) if name in PREFERRED else len(PREFERRED)

    choice = min(plausible, key=lambda m: min(rank(e) for e in [m.encoding, *m.could_be_from_charset]))
    for name in sorted([choice.encoding, *choice.could_be_from_charset], key=rank):
        try:
            return _check_text(data.decode(name)), name
        except UnicodeDecodeError:
            continue
    raise IngestError("unknown text encoding")


def _check_text(text: str) -> str:
    """Refuse decodings that are full of control characters: they are binary data after all."""
    sample = text[:8192]
    if sample and sum(ord(c) in _CONTROL or c == "\x7f" for c in sample) > len(sample) * 0.1:
        raise IngestError("binary file (mostly non-text bytes)")
    if "\x00" in text:
        raise IngestError("binary file (contains NUL characters)")
    return text
