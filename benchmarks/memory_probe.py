"""Run `warroom serve` with a thread that writes, every 10 s, where the process's memory is.

    python benchmarks/memory_probe.py OUT.jsonl

Used by `fleet_soak.py --probe`. Each line of OUT is one sample (MB unless said otherwise):
`rss`, `rss_anon`; `sqlite` (everything SQLite has allocated, `sqlite3_memory_used()`) and
`sqlite_page_cache` (its page-cache pages, `SQLITE_STATUS_PAGECACHE_OVERFLOW`: all of them
but a few per connection, as no page-cache buffer is configured); glibc's heap in use and
free-but-kept (`mallinfo2()`, all arenas); `python_blocks` (`sys.getallocatedblocks()`);
`threads` and `sqlite_connections` (counts: open descriptors of the database's main file, one
per open SQLite connection), since each thread may get a malloc arena of its own and each
connection its own schema, statements and page cache.
Linux with glibc and the system SQLite library (which Debian's Python links to) only.
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

SAMPLE_SECONDS = 10.0
_SQLITE_STATUS_PAGECACHE_OVERFLOW = 2
MB = 2**20


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _libraries() -> tuple[Any, Any]:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    # The same library the sqlite3 module loads: dlopen hands back the one already mapped.
    sqlite = ctypes.CDLL("libsqlite3.so.0")
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    return libc, sqlite


def _status_numbers(*names: str) -> dict[str, int]:
    """The named /proc/self/status lines' numbers (kB for sizes)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in names:
            found[key] = int(value.split()[0])
    return found


def _open_databases() -> int:
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += fd.readlink().suffix == ".db"
        except OSError:  # closed while listing
            continue
    return count


def sample(libc: Any, sqlite: Any, since: float) -> dict[str, float]:
    status = _status_numbers("VmRSS", "RssAnon", "Threads")
    heap = libc.mallinfo2()
    current, highest = ctypes.c_int64(), ctypes.c_int64()
    sqlite.sqlite3_status64(
        _SQLITE_STATUS_PAGECACHE_OVERFLOW, ctypes.byref(current), ctypes.byref(highest), 0
    )
    return {
        "seconds": round(time.monotonic() - since),
        "rss": round(status["VmRSS"] / 1024, 1),
        "rss_anon": round(status["RssAnon"] / 1024, 1),
        "sqlite": round(sqlite.sqlite3_memory_used() / MB, 1),
        "sqlite_page_cache": round(current.value / MB, 1),
        "heap_in_use": round(heap.uordblks / MB, 1),
        "heap_free_kept": round(heap.fordblks / MB, 1),
        "python_blocks": sys.getallocatedblocks(),
        "threads": status["Threads"],
        "sqlite_connections": _open_databases(),
    }


def _write_samples(out: Path) -> None:
    libc, sqlite = _libraries()
    since = time.monotonic()
    with out.open("w") as file:
        while True:
            time.sleep(SAMPLE_SECONDS)
            file.write(json.dumps(sample(libc, sqlite, since)) + "\n")
            file.flush()


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: memory_probe.py OUT.jsonl")
    out = Path(sys.argv[1])
    threading.Thread(target=_write_samples, args=(out,), name="memory-probe", daemon=True).start()
    from warroom.cli import app

    sys.argv = ["warroom", "serve"]
    app()


if __name__ == "__main__":
    main()
