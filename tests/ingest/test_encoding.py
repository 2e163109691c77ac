"""Bytes to text: binary refusal and legacy encodings."""

from __future__ import annotations

import codecs

import pytest

from kolokol.errors import IngestError
from kolokol.ingest.encoding import declared_charset, decode_bytes, sniff_binary

FRENCH = ("Le journaliste a été interpellé à Genève après une manifestation. Selon son avocat, la police "
          "a saisi son téléphone et l'a interrogé pendant trois heures sur ses contacts à l'étranger.")
RUSSIAN = ("Сотрудники полиции задержали журналиста в Алматы. По словам адвоката, его допрашивали "
           "три часа и изъяли телефон, а затем отпустили без предъявления обвинений.")
TURKISH = ("Gazeteci İstanbul'da gözaltına alındı; avukatı, müvekkilinin sınır dışı edilme tehlikesiyle "
           "karşı karşıya olduğunu söyledi.")
KAZAKH = ("Журналист Алматыда ұсталды. Қазақстан билігі оның телефонын тәркіледі және үш сағат бойы "
          "жауап алды.")


@pytest.mark.parametrize(("text", "encoding"), [
    (FRENCH, "latin-1"), (FRENCH, "cp1252"), (RUSSIAN, "cp1251"), (RUSSIAN, "koi8_r"), (RUSSIAN, "cp866"),
    (TURKISH, "cp1254"), (KAZAKH, "kz1048"), (RUSSIAN, "utf-8"),
])
def test_legacy_encodings_decoded_right(text, encoding):
    decoded, _used = decode_bytes(text.encode(encoding))
    assert decoded == text


@pytest.mark.parametrize("bom_encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks(bom_encoding):
    decoded, _used = decode_bytes(RUSSIAN.encode(bom_encoding))
    assert decoded == RUSSIAN


def test_declared_charset_used_when_not_utf8():
    html = f'<html><head><meta charset="windows-1251"></head><body><p>{RUSSIAN}</p></body></html>'
    data = html.encode("cp1251")
    assert declared_charset(data) == "cp1251"
    assert decode_bytes(data, declared_charset(data))[0] == html


@pytest.mark.parametrize(("data", "kind"), [
    (b"%PDF-1.4\n...", "PDF"), (b"PK\x03\x04rest", "ZIP"), (b"\x89PNG\r\n\x1a\n....", "PNG"),
    (b"\x1f\x8b\x08\x00....", "gzip"), (b"plain\x00text", "NUL"), (bytes(range(1, 9)) * 50, "non-text"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
])
def test_binary_refused_with_kind(data, kind):
    assert kind in (sniff_binary(data) or "")
    with pytest.raises(IngestError) as caught:
        decode_bytes(data)
    assert caught.value.message.startswith("binary file (") and kind in caught.value.message


def test_text_is_not_binary():
    assert sniff_binary(RUSSIAN.encode("utf-8")) is None
    assert sniff_binary(RUSSIAN.encode("cp1251")) is None
    assert sniff_binary(codecs.BOM_UTF16_LE + "abc".encode("utf-16-le")) is None


def test_undecodable_bytes_fail_with_unknown_encoding():
    with pytest.raises(IngestError, match="unknown text encoding"):
        decode_bytes(bytes(range(0x80, 0x100)) * 4)
