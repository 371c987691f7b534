"""The run journal: append-only, locked, checksummed, hash-chained and fsynced.

    framing.py      record line format (pure): encode, decode, chain
    masking.py      secret global values masked in payloads (pure)
    paths.py        where a journal lives, archive, atomic writes
    procid.py       process identity (pid, start time, boot id) from /proc
    lock.py         JournalLock: sidecar flock + owner file
    writer.py       JournalWriter: write-ahead appends
    reader.py       read_journal / scan_journal, torn-tail repair
    transitions.py  legal state transitions (engine tables)
    audit.py        `tasker journal verify|show|export`
    html_report.py  `tasker report PATH -o FILE.html`

The journal layer does not know event content: payloads are JSON objects with a "type" key.
"""

from tasker.journal.framing import FORMAT_VERSION, GENESIS_CHAIN, HEADER_TYPE, canonical_json
from tasker.journal.lock import JournalLock, OwnerInfo, current_owner, read_owner
from tasker.journal.masking import is_secret_name, mask_secrets, secret_values
from tasker.journal.paths import (
    JournalPaths,
    archive,
    atomic_write_bytes,
    atomic_write_json,
    journal_paths,
    sanitize_stem,
)
from tasker.journal.reader import (
    Damage,
    JournalContents,
    JournalRecord,
    TornTail,
    read_journal,
    repair_torn_tail,
    scan_journal,
)
from tasker.journal.writer import JournalWriter

__all__ = [
    "FORMAT_VERSION",
    "GENESIS_CHAIN",
    "HEADER_TYPE",
    "Damage",
    "JournalContents",
    "JournalLock",
    "JournalPaths",
    "JournalRecord",
    "JournalWriter",
    "OwnerInfo",
    "TornTail",
    "archive",
    "atomic_write_bytes",
    "atomic_write_json",
    "canonical_json",
    "current_owner",
    "is_secret_name",
    "journal_paths",
    "mask_secrets",
    "read_journal",
    "read_owner",
    "repair_torn_tail",
    "sanitize_stem",
    "scan_journal",
    "secret_values",
]
