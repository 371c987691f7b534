"""The journal's record format: pure encoding and decoding of one record line.

A journal is a UTF-8 text file of records, one per line. Each record line is exactly::

    <seq> <len> <crc32> <chain> <payload>\\n

- ``seq``: the record number in decimal, no sign or leading zeros; the first record is 0 and
  each following record is the previous plus one.
- ``len``: the byte length of ``<payload>`` (UTF-8), in decimal.
- ``crc32``: ``zlib.crc32`` of the payload bytes, 8 lower-case hex digits.
- ``chain``: 64 lower-case hex digits, ``sha256(prev_chain_bytes + payload_bytes)`` where
  ``prev_chain_bytes`` is the 32 raw bytes of the previous record's chain value (32 zero bytes,
  ``GENESIS_CHAIN``, for record 0). The chain value of the last record is the journal's head.
- ``payload``: canonical JSON of a JSON object with a string ``"type"`` key:
  ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. JSON escapes
  control characters, so a payload never contains a newline byte.

Fields are separated by exactly one space; the line ends with a single ``\\n``. Record 0 is the
header (``type`` = ``HEADER_TYPE``) carrying ``format`` (= ``FORMAT_VERSION``), the task file's
sha256, the tasker version and the run id.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

FORMAT_VERSION = 1
HEADER_TYPE = "journal_header"
GENESIS_CHAIN = "0" * 64

_DECIMAL = re.compile(rb"0|[1-9][0-9]*")
_HEX8 = re.compile(rb"[0-9a-f]{8}")
_HEX64 = re.compile(rb"[0-9a-f]{64}")


class FrameError(ValueError):
    """A record line that does not decode; the message says which check failed."""


def canonical_json(payload: dict[str, Any]) -> bytes:
    """The canonical UTF-8 JSON bytes of a payload (sorted keys, compact, non-ASCII kept)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text.encode("utf-8")


def next_chain(prev_chain: str, payload_bytes: bytes) -> str:
    """The chain value of a record whose payload follows a record with chain `prev_chain`."""
    return hashlib.sha256(bytes.fromhex(prev_chain) + payload_bytes).hexdigest()


def encode_record(seq: int, prev_chain: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    """Frame `payload` as record `seq`; return the line bytes and the record's chain value."""
    if not isinstance(payload.get("type"), str):
        raise ValueError("a journal payload needs a string 'type' key")
    body = canonical_json(payload)
    chain = next_chain(prev_chain, body)
    crc = zlib.crc32(body) & 0xFFFFFFFF
    line = b"%d %d %08x %s " % (seq, len(body), crc, chain.encode("ascii")) + body + b"\n"
    return line, chain


@dataclass(frozen=True)
class DecodedRecord:
    """One record line decoded and checked against its predecessor."""

    seq: int
    payload: dict[str, Any]
    chain: str


def decode_record(line: bytes, expected_seq: int, prev_chain: str) -> DecodedRecord:
    """Decode one complete record line (with its newline) or raise `FrameError` saying why."""
    parts = line[:-1].split(b" ", 4)
    if not line.endswith(b"\n") or len(parts) != 5:
        raise FrameError("malformed record frame")
    seq_f, len_f, crc_f, chain_f, body = parts
    if not (_DECIMAL.fullmatch(seq_f) and _DECIMAL.fullmatch(len_f)
            and _HEX8.fullmatch(crc_f) and _HEX64.fullmatch(chain_f)):
        raise FrameError("malformed record frame fields")
    if int(len_f) != len(body):
        raise FrameError(f"length mismatch: frame says {int(len_f)} bytes, payload has {len(body)}")
    if int(crc_f, 16) != zlib.crc32(body) & 0xFFFFFFFF:
        raise FrameError("CRC32 mismatch")
    if int(seq_f) != expected_seq:
        raise FrameError(f"sequence number {int(seq_f)}, expected {expected_seq}")
    chain = chain_f.decode("ascii")
    if chain != next_chain(prev_chain, body):
        raise FrameError("hash chain mismatch")
    return DecodedRecord(seq=expected_seq, payload=_payload(body), chain=chain)


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"payload is not JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise FrameError("payload is not a JSON object with a string 'type'")
    return payload


def check_header(payload: dict[str, Any]) -> None:
    """Raise `FrameError` unless `payload` is a header record of a format we read."""
    if payload.get("type") != HEADER_TYPE:
        raise FrameError(f"first record is {payload.get('type')!r}, not a {HEADER_TYPE}")
    if payload.get("format") != FORMAT_VERSION:
        raise FrameError(f"unsupported journal format {payload.get('format')!r}")
