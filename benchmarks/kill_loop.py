"""``make stress`` (crash part): SIGKILL the real server in the middle of writes, 100 times.

Prints one JSON object: kills, turns sent and acknowledged, integrity failures of the chat history
database, acknowledged turns lost, and the audit log's figures (chain failures, acknowledged records
lost). Exits non-zero when the database failed; with ``--check-audit`` the audit figures count too.

    python benchmarks/kill_loop.py                 # 100 kills, a random seed
    python benchmarks/kill_loop.py --kills 20 --seed 3 --check-audit
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.kill_loop import elapsed_since, failed, run_kill_loop  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--check-audit", action="store_true", help="fail on audit chain breaks or lost records")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="openagent-kill-") as tmp:
        figures = run_kill_loop(Path(tmp), args.kills, seed, check_audit_chain=args.check_audit)
    out = figures.to_json() | {"seed": seed, "auditChecked": args.check_audit, "seconds": elapsed_since(started)}
    print(json.dumps(out, indent=1))
    return 1 if failed(figures, args.check_audit) else 0


if __name__ == "__main__":
    raise SystemExit(main())
