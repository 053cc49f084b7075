"""Run inside ``unshare --user --map-root-user --mount``: a Store on a tiny private tmpfs, filled until the
disk is full, then opened through a read-only mount. Prints what each failure said and whether the history survived,
as JSON. Nothing outside the private mount namespace is touched.

    unshare --user --map-root-user --mount python -m tests.support.store_faults_child DIR
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from openagent_lsp.errors import StorageError
from openagent_lsp.store.db import Store


def main() -> None:
    folder = Path(sys.argv[1])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], check=True)
    out: dict[str, object] = {}
    store = Store(folder / "history.sqlite3", busy_timeout_s=0.5)
    cid = store.create_conversation("/ws")
    saved = 0
    try:
        for _ in range(1000):
            store.add_message(cid, "user", "x" * 4000)
            saved += 1
    except StorageError as exc:
        out["full"] = str(exc)
    out["saved_before_full"] = saved
    out["readable_after_full"] = len(store.get_history(cid))
    store.close()
    # A read-only view of the same files (a file system mounted read-only, as after an error remount).
    view = folder.parent / "read-only-view"
    view.mkdir(exist_ok=True)
    subprocess.run(["mount", "--bind", str(folder), str(view)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
    try:
        readonly = Store(view / "history.sqlite3", busy_timeout_s=0.5)
        readonly.add_message(cid, "user", "one more")
    except StorageError as exc:
        out["read_only"] = str(exc)
    check = sqlite3.connect(f"file:{view / 'history.sqlite3'}?mode=ro", uri=True)
    out["readable_when_read_only"] = check.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    out["integrity"] = check.execute("PRAGMA integrity_check").fetchone()[0]
    check.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
