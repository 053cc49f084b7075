"""The real server with its state directory on a tiny private tmpfs (a disk that fills up).

Run inside ``unshare --user --map-root-user --mount`` so the mount is private to this process tree:

    unshare --user --map-root-user --mount python -m tests.support.confined_server DIR SIZE
"""

from __future__ import annotations

import subprocess
import sys


def main() -> None:
    folder, size = sys.argv[1], sys.argv[2]
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder], check=True)
    from openagent_lsp.__main__ import main as serve

    raise SystemExit(serve([]))


if __name__ == "__main__":
    main()
