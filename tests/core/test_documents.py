"""How a document's bytes are read and written back (core.documents): every
detected format gives the same bytes again; no Qt here."""

import codecs

import pytest

from lstmwriter.core.documents import UTF8, TextFormat, encode_document, read_document


@pytest.mark.parametrize("data", [
    b"plain\nascii\n", "utf-8 ü\r\n".encode(), codecs.BOM_UTF8 + "bom ü\r".encode(),
    "latin-1 \x81 byte".encode("latin-1"), "ünï\ncödé".encode("utf-16-le"),
    codecs.BOM_UTF32_BE + "utf-32 ü".encode("utf-32-be"), b"",
])
def test_every_detected_format_writes_the_same_bytes(data):
    text, fmt, mixed = read_document(data)
    assert "\r" not in text and not mixed
    assert encode_document(text, fmt) == data
    assert TextFormat.from_dict(fmt.to_dict()) == fmt
    assert UTF8.label == "UTF-8"


def test_mixed_line_endings_are_read_with_the_most_common():
    text, fmt, mixed = read_document(b"one\r\ntwo\nthree\r\n")
    assert (text, fmt.newline, mixed) == ("one\ntwo\nthree\n", "\r\n", True)


def test_binary_data_is_not_a_text_file():
    with pytest.raises(ValueError, match="not a text file"):
        read_document(bytes(range(256)) * 4)
