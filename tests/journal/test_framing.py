"""Record line format: encoding, decoding and every check of the decoder."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from tasker.journal.framing import (
    GENESIS_CHAIN,
    FrameError,
    canonical_json,
    decode_record,
    encode_record,
)


def test_line_is_seq_len_crc_chain_payload():
    line, chain = encode_record(0, GENESIS_CHAIN, {"type": "x", "b": 1, "a": "é"})
    body = '{"a":"é","b":1,"type":"x"}'.encode()
    expected_chain = hashlib.sha256(bytes(32) + body).hexdigest()
    assert line == b"0 %d %08x %s " % (len(body), zlib.crc32(body), expected_chain.encode()) \
        + body + b"\n"
    assert chain == expected_chain


def test_canonical_json_never_contains_a_newline():
    assert b"\n" not in canonical_json({"type": "x", "text": "a\nb\r\u2028"})


def test_decode_returns_payload_and_chain():
    line, chain = encode_record(3, "ab" * 32, {"type": "t", "n": [1, 2]})
    decoded = decode_record(line, 3, "ab" * 32)
    assert (decoded.seq, decoded.payload, decoded.chain) == (3, {"type": "t", "n": [1, 2]}, chain)


def test_payload_without_type_is_refused():
    with pytest.raises(ValueError, match="type"):
        encode_record(0, GENESIS_CHAIN, {"kind": "x"})


@pytest.mark.parametrize(("seq", "prev", "match"), [
    (4, GENESIS_CHAIN, "sequence number 3, expected 4"),
    (3, "cd" * 32, "hash chain mismatch"),
])
def test_decode_checks_sequence_and_chain(seq, prev, match):
    line, _ = encode_record(3, GENESIS_CHAIN, {"type": "t"})
    with pytest.raises(FrameError, match=match):
        decode_record(line, seq, prev)


def test_decode_detects_length_and_crc_errors():
    line, _ = encode_record(0, GENESIS_CHAIN, {"type": "t", "v": "abc"})
    with pytest.raises(FrameError, match="length mismatch"):
        decode_record(line.replace(b'"abc"', b'"abcd"'), 0, GENESIS_CHAIN)
    with pytest.raises(FrameError, match="CRC32 mismatch"):
        decode_record(line.replace(b'"abc"', b'"abd"'), 0, GENESIS_CHAIN)
