"""What the importer and its parser process (`worker`) agree on: the frames on
the process's stdout, the name a staging database is ATTACHed under, and
whether a file suits the column parser.

The frames, each a length-prefixed pickle of (kind, payload): ("chunk", a
`shape.Chunk`), ("file-error", why the file cannot be read), ("crash", a
traceback), ("end", None).

The standard library only: the parser process imports this before Django is
set up, the importer without loading the parser.
"""

from __future__ import annotations

import pickle
import struct

_HEADER = struct.Struct("<I")
STAGE_SCHEMA = "kefu_stage"  # the name the parent ATTACHes a staging database under
STAGE_AHEAD = 2  # staging files the child writes before the parent has stored the first of them


def columnar_applies(path: str, table) -> bool:
    """Whether the file is a CSV whose every record is one line: no quote
    character, and lines that end in LF or CRLF (never a bare CR). The
    encoding must write a line feed and a quote as those single bytes and
    never use the bytes inside a character (UTF-8, GB18030, Big5, …; not
    UTF-16), since the lines are cut on the raw bytes. The importer asks
    (here, without Arrow) while the parser process starts, and tells it
    (`Job.columnar`)."""
    if table.delimiter is None or table.encoding == "xlsx":
        return False
    encoding = "utf-8" if table.encoding.lower().replace("_", "-") == "utf-8-sig" else table.encoding
    try:
        if "\n\"".encode(encoding) != b'\n"':
            return False
    except LookupError:
        return False
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            if b'"' in block or block.count(b"\r") != block.count(b"\r\n"):
                return False
    return True


def write_frame(out, kind: str, payload) -> None:
    blob = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(blob)))
    out.write(blob)
    out.flush()


def read_frame(stream):
    """(kind, payload), or None at the end of the stream."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    blob = stream.read(size)
    if len(blob) < size:
        return None
    return pickle.loads(blob)
