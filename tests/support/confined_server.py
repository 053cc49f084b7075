"""The real server with its state directory on a tiny private tmpfs (a disk that fills up).

Run inside ``unshare --user --map-root-user --mount`` so the mount is private to this process tree:

    unshare --user --map-root-user --mount python -m tests.support.confined_server DIR SIZE [TRIGGERS]

With TRIGGERS (a directory the test can write), a file ``fill`` there fills the tmpfs to the last byte
and ``free`` frees it again; each is renamed to ``NAME.done`` once applied, so a test waits for the
fault instead of guessing when it happened.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.full_disk import fill_file


def fill(folder: Path) -> None:
    fill_file(folder / ".filler")


def watch(folder: Path, triggers: Path) -> None:
    actions = {"fill": lambda: fill(folder), "free": lambda: (folder / ".filler").unlink(missing_ok=True)}
    while True:
        for name, action in actions.items():
            if (triggers / name).exists():
                action()
                os.replace(triggers / name, triggers / f"{name}.done")
        time.sleep(0.02)


def main() -> None:
    folder, size = sys.argv[1], sys.argv[2]
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder], check=True)
    if len(sys.argv) > 3:
        threading.Thread(target=watch, args=(Path(folder), Path(sys.argv[3])), daemon=True).start()
    from openagent_lsp.__main__ import main as serve

    raise SystemExit(serve([]))


if __name__ == "__main__":
    main()
