"""``make stress`` (protocol part): hypothesis-generated hostile JSON-RPC against the real server over stdio.

Prints one JSON object: messages sent, crashes, hangs, wrong answers, the answer codes seen and the
latency of the ``openagent/status`` check after each batch. Exits non-zero when anything crashed, hung
or was answered wrongly. Nothing here asserts a wall time.

    python benchmarks/stress_protocol.py                      # 10,000 messages, a random seed
    python benchmarks/stress_protocol.py --messages 2000 --seed 7
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

from tests.support.fuzz import FuzzTarget, fuzz  # noqa: E402
from tests.support.lsp import server_env  # noqa: E402
from tests.support.tiny_model import build_tiny_model  # noqa: E402

ENV = {
    "OPENAGENT_PRECISION": "fp32",
    "OPENAGENT_COMPLETION__MAX_NEW_TOKENS": "8",
    "OPENAGENT_CHAT__MAX_NEW_TOKENS": "8",
    "OPENAGENT_CHAT__APPROVAL_TIMEOUT_S": "5",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--round", type=int, default=100, help="generated batches per hypothesis run")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="openagent-stress-") as tmp_name:
        tmp = Path(tmp_name)
        model = build_tiny_model(tmp / "model")
        root = tmp / "ws"
        root.mkdir()
        target = FuzzTarget(server_env(tmp, model, **ENV), root, stderr_path=tmp / "server.stderr")
        target.start()
        try:
            rounds = 0
            while target.figures.messages < args.messages:
                fuzz(target, args.round, seed_value=seed + rounds)
                rounds += 1
                print(f"stress: {target.figures.messages} messages, {target.figures.crashes} crashes, "
                      f"{target.figures.hangs} hangs, {target.figures.wrong_answers} wrong", file=sys.stderr)
            alive = target.server is not None and target.server.alive()
            final = target.server.request("openagent/status", {}) if target.server is not None else {}
        finally:
            target.close()
    figures = target.figures.to_json()
    figures.update(seed=seed, rounds=rounds, serverAliveAtEnd=alive, statusAnswersAtEnd="result" in final,
                   seconds=round(time.monotonic() - started, 1))
    print(json.dumps(figures, indent=1))
    fig = target.figures
    return 0 if fig.crashes == 0 and fig.hangs == 0 and fig.wrong_answers == 0 and "result" in final else 1


if __name__ == "__main__":
    raise SystemExit(main())
