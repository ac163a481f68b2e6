"""The embedded store's state across a graceful restart: one JSON file in ``STATE_DIR``.

Written on shutdown (SIGTERM, Ctrl-C) after the delivery loop has drained what it could,
read once at the next start and then renamed (``.loaded``), so a later crash never
replays it. Everything the store held goes in: escalations and their history, the
outbox (notifications not delivered yet), run-time links, language choices, dedupe
keys. A crash (SIGKILL, out of memory, power loss) writes nothing: what happened since
the last start is lost. That is the embedded store's limit; Redis has none of this.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from bot.stores.memory import MemoryStore

log = logging.getLogger(__name__)

FILE_NAME = "memory-store.json"
FORMAT = 1


def snapshot_path(state_dir: Path) -> Path:
    return state_dir / FILE_NAME


def load(store: MemoryStore, state_dir: Path) -> int:
    """Restore the snapshot in ``state_dir`` into ``store``, if there is one; returns
    the number of keys restored. An unreadable file is set aside, never half-loaded."""
    path = snapshot_path(state_dir)
    if not path.exists():
        return 0
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        fresh = MemoryStore(namespace=store.namespace)
        fresh.restore(data["store"], time.time())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        bad = path.with_suffix(".unreadable")
        os.replace(path, bad)
        log.error("embedded store: %s could not be read (%s); set aside as %s, starting empty", path, type(exc).__name__, bad.name)
        return 0
    store.restore(data["store"], time.time())
    os.replace(path, path.with_suffix(".loaded"))
    restored = len(data["store"].get("values", {}))
    log.info("embedded store: restored %d keys saved at the last shutdown from %s", restored, path)
    return restored


def save(store: MemoryStore, state_dir: Path) -> Path:
    """Write the whole store to ``state_dir`` atomically (a temporary file, then a rename)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = snapshot_path(state_dir)
    tmp = path.with_suffix(".tmp")
    data = {"format": FORMAT, "saved_at": time.time(), "store": store.dump(time.time())}
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
