"""Exact duplicates and syndicated copies.

- Exact: the SHA-256 of the NFC-normalised, whitespace-collapsed clean text.
- Copies: MinHash (128 permutations) over word 5-shingles. The signature is cut into BANDS bands
  of ROWS rows; each band is hashed and stored (report_bands), so finding candidates is an indexed
  lookup by (band, hash) rather than a scan. Two texts with Jaccard similarity s share at least one
  band with probability 1 - (1 - s^ROWS)^BANDS: 0.87 at s=0.5, 0.99 at 0.6, ~1 at 0.7, 0.23 at
  0.3, so every pair near the copy threshold is found and candidates are then verified with the
  MinHash estimate. The banding is fixed (not derived from copy_threshold) because stored bands must
  stay comparable when a user changes the threshold.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from datasketch import MinHash

from kolokol.store.types import current_band_key

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE = 5
SEED = 1  # fixed: signatures must be identical across processes and versions
_WORD = re.compile(r"\w+")


def normalise_text(text: str) -> str:
    """NFC, whitespace runs collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(text: str) -> str:
    """SHA-256 hex of the normalised clean text: equal for texts that differ only in spacing."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Word `size`-shingles of the case-folded text (the whole text when it is shorter)."""
    words = _WORD.findall(unicodedata.normalize("NFC", text).casefold())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def signature(text: str) -> MinHash:
    """The MinHash of a text's shingles."""
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch([s.encode("utf-8") for s in sorted(shingles(text))])
    return minhash


def band_hashes(minhash: MinHash) -> list[tuple[int, str]]:
    """(band index, 16-hex-digit hash of the band's rows) for every band of the signature.

    Keyed (BLAKE2b with the current database's band key, store/types.py) when the database is
    encrypted: a plain hash of a very short text's bands could be confirmed by hashing guesses."""
    values = minhash.hashvalues  # a numpy uint64 array; little-endian bytes keep hashes portable
    key = current_band_key()
    out = []
    for band in range(BANDS):
        rows = values[band * ROWS:(band + 1) * ROWS].astype("<u8").tobytes()
        out.append((band, hashlib.blake2b(rows, digest_size=8, key=key).hexdigest()))
    return out


def similarity(a: MinHash, b: MinHash) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(a.jaccard(b))
