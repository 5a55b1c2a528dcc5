"""The local spool: return notices the database could not take, kept on disk until it can.

TIPI POSTs each return once and never again. When the raw INSERT of `notice_record` fails
(PostgreSQL down, disk full, a lock timeout…), the endpoint appends the notice here and still
answers 200; `manage.py returns_replay` (a systemd timer, every minute) and, once the database
answers again, a task for `manage.py db_worker` store each line in the database and apply it.

On disk (``RETURNS_SPOOL_DIR``, local disk, shared by the web processes and the replay of one
machine):

- ``returns-<pid>.jsonl``: one file per web process, one JSON object per line (the notice's
  ``spool_id`` (uuid4), its body in base64, content type, headers, address, the time it was
  received, the error that sent it here). Each append opens the file with ``O_APPEND``, takes
  ``flock``, checks that the file it opened is still the one at that path (the replay may have
  renamed it in between: then it opens the new one), writes the whole line, ``fsync``s and
  closes. The answer leaves only after that: a process killed at any moment loses nothing it
  has answered for.
- ``claimed-….jsonl``: a file the replay has taken. Claiming is an atomic rename; the replay
  then waits for the file's lock, so that a write begun before the rename ends first, and no
  write can follow (the writer's check fails). The file is deleted only after the database
  has committed its lines; a crash in between leaves it to the next replay.
- ``rejected-….jsonl``: lines that cannot be read back (a line cut by a machine crash, a
  corrupted disk): kept for a human, never deleted here; counted by ``/healthz``.

Replaying twice is harmless: each line is stored with its ``spool_id`` (unique in the
database), a line already there is skipped, and a stored notice is applied once by
`notice_apply` (row lock, conditional close). A notice whose INSERT failed after the database
had in fact committed it (the server died between its commit and its answer) is recognised by
its request id (``X-Request-ID`` in its headers, kept on both copies) and not stored twice.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

FORMAT = 1
LIVE_PREFIX = "returns-"
CLAIMED_PREFIX = "claimed-"
REJECTED_PREFIX = "rejected-"
SUFFIX = ".jsonl"
LOCK_NAME = ".replay.lock"
REQUEST_ID_HEADER = "X-Request-ID"
# The direct INSERT that may have committed happened between the request's start and its
# failure; a little slack on both sides for the clock's resolution.
AMBIGUOUS_SLACK = datetime.timedelta(seconds=2)
_MAX_CLAIM_RETRIES = 1000


class SpoolState:
    """Per process: set when this process spooled a notice, so that its next notice stored
    directly (the database answers again) asks the task worker to replay the spool."""

    replay_wanted = False


STATE = SpoolState()


def spool_dir() -> Path:
    return Path(settings.RETURNS_SPOOL_DIR)


def _iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).isoformat()


# --- Writing (the endpoint, when the database cannot store a notice) ---------------------


def spool_append(
    *,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str],
    remote_addr: str | None,
    received_at: float,
    error: str = "",
) -> str:
    """Append one notice durably (fsync'd before returning); returns its spool_id."""
    spool_id = str(uuid.uuid4())
    record = {
        "v": FORMAT,
        "spool_id": spool_id,
        "received_at": _iso(received_at),
        "spooled_at": _iso(datetime.datetime.now(datetime.UTC).timestamp()),
        "content_type": content_type[:200],
        "headers": dict(headers),
        "remote_addr": remote_addr or None,
        "body": base64.b64encode(body).decode("ascii"),
        "error": error[:500],
        "pid": os.getpid(),
    }
    line = (json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")
    directory = spool_dir()
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fsync_dir(directory.parent)
    _append_line(directory / f"{LIVE_PREFIX}{os.getpid()}{SUFFIX}", line)
    STATE.replay_wanted = True
    return spool_id


def _append_line(path: Path, line: bytes) -> None:
    for _ in range(_MAX_CLAIM_RETRIES):
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            _lock(fd)
            if not _same_file(fd, path):
                continue  # the replay claimed (renamed) it between our open and our lock
            size = os.fstat(fd).st_size
            data = line
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # A process died in the middle of its line (a crash, not a kill: a small write
                # is whole): start ours on a line of its own, the cut one is rejected on replay.
                data = b"\n" + line
            _write_all(fd, data)
            os.fsync(fd)
            if size == 0:
                fsync_dir(path.parent)  # a new file: its directory entry must survive a crash too
            return
        finally:
            os.close(fd)  # releases the lock
    raise OSError(f"spool file {path} kept being claimed while appending")


def _lock(fd: int) -> None:
    """flock, exclusive, waiting (a separate function so that tests can race with it)."""
    fcntl.flock(fd, fcntl.LOCK_EX)


def _same_file(fd: int, path: Path) -> bool:
    opened = os.fstat(fd)
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    return (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- Reading back (the replay) ----------------------------------------------------------


@dataclass
class SpoolLine:
    spool_id: uuid.UUID
    received_at: datetime.datetime
    spooled_at: datetime.datetime
    body: bytes
    content_type: str
    headers: dict
    remote_addr: str | None
    raw: bytes = b""  # the line as written, kept if it has to be set aside


@dataclass
class IngestReport:
    """What one replay of the spool did."""

    files: int = 0
    stored: int = 0  # lines inserted into the database now
    already_stored: int = 0  # lines found in the database (a replay interrupted before the file was deleted)
    stored_directly: int = 0  # notices whose failed INSERT had in fact committed
    rejected: int = 0  # unreadable lines, set aside in rejected-*.jsonl
    busy: bool = False  # another replay holds the spool: nothing done
    stored_ids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if self.busy:
            return "spool : une autre reprise est en cours"
        return (
            f"spool : {self.files} fichier(s), {self.stored} retour(s) enregistré(s), {self.already_stored} déjà en base, "
            f"{self.stored_directly} enregistré(s) avant l'erreur, {self.rejected} ligne(s) illisible(s)"
        )


def _parse_line(raw: bytes) -> SpoolLine:
    record = json.loads(raw)
    if not isinstance(record, dict) or record.get("v") != FORMAT:
        raise ValueError("unknown spool format")
    headers = record.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError("headers is not an object")
    return SpoolLine(
        spool_id=uuid.UUID(record["spool_id"]),
        received_at=datetime.datetime.fromisoformat(record["received_at"]),
        spooled_at=datetime.datetime.fromisoformat(record["spooled_at"]),
        body=base64.b64decode(record["body"], validate=True),
        content_type=str(record.get("content_type") or "")[:200],
        headers=headers,
        remote_addr=record.get("remote_addr") or None,
        raw=raw,
    )


def read_lines(data: bytes) -> tuple[list[SpoolLine], list[tuple[bytes, str]]]:
    """The lines of a spool file, and the ones that cannot be read (with why)."""
    lines, bad = [], []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            lines.append(_parse_line(raw))
        except (ValueError, KeyError, TypeError) as exc:
            bad.append((raw, f"{type(exc).__name__}: {exc}"))
    return lines, bad


def _files(directory: Path, prefix: str) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if p.name.startswith(prefix) and p.name.endswith(SUFFIX))
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def replay_lock(directory: Path) -> Iterator[bool]:
    """One replay at a time per spool (the timer, the task worker): True if this one holds it."""
    # Read-only and world-readable (it holds nothing): a replay run once by hand as another user
    # must not lock the service's own runs out of it.
    fd = os.open(directory / LOCK_NAME, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def claim_files(directory: Path) -> list[Path]:
    """Rename every live file to claimed-… (atomic) and return all the claimed files, older
    claims (a replay that crashed) included. Call with the replay lock held."""
    for live in _files(directory, LIVE_PREFIX):
        claimed = directory / f"{CLAIMED_PREFIX}{live.stem}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        try:
            os.rename(live, claimed)
        except FileNotFoundError:
            continue
    return _files(directory, CLAIMED_PREFIX)


def read_claimed(path: Path) -> bytes:
    """The content of a claimed file, once the writers that had it open are done with it."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _lock(fd)  # a write begun before the claim ends first; none can start after it
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def set_aside(path: Path, bad: list[tuple[bytes, str]]) -> None:
    """Write the unreadable lines of a claimed file to rejected-<its name> (idempotent)."""
    target = path.with_name(REJECTED_PREFIX + path.name[len(CLAIMED_PREFIX) :])
    temporary = target.with_suffix(".tmp")
    with open(temporary, "wb") as out:
        for raw, reason in bad:
            out.write(json.dumps({"reason": reason, "line_base64": base64.b64encode(raw).decode()}).encode() + b"\n")
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
    fsync_dir(path.parent)


# --- Status (/healthz) ------------------------------------------------------------------


def _count_lines(path: Path) -> int:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def spool_status() -> dict[str, int]:
    """Notices waiting in the spool (lines of the live and claimed files) and lines set aside."""
    directory = spool_dir()
    waiting = sum(_count_lines(p) for prefix in (LIVE_PREFIX, CLAIMED_PREFIX) for p in _files(directory, prefix))
    rejected = sum(_count_lines(p) for p in _files(directory, REJECTED_PREFIX))
    return {"waiting": waiting, "rejected": rejected}
