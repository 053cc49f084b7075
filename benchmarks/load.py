"""``make stress`` (load part): the real server with the tiny test model under editor-like load.

1. 50 documents typed in at once (a change and an automatic inline-completion request per key) plus a
   chat, while a prober asks ``openagent/status`` every 20 ms: its round-trip latency (p50/p99) says
   whether the event loop stays responsive.
2. 10,000 invoked completions, each after a one-character edit (the model runs, not the cache), across
   50 documents: the server's RSS after 1,000 and after 10,000, and the growth between them.
3. After every document is closed: what the per-document structures still hold (all zero).

Prints one JSON object; asserts nothing about time.

    python benchmarks/load.py                          # the full run (~10 min on 2 cores)
    python benchmarks/load.py --completions 2000 --streams 20
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.load import completions_for_rss, run_load  # noqa: E402
from tests.support.lsp import server_env  # noqa: E402
from tests.support.raw_lsp import start_initialized, wait_model  # noqa: E402
from tests.support.tiny_model import build_tiny_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--keys", type=int, default=8)
    parser.add_argument("--completions", type=int, default=10_000)
    parser.add_argument("--checkpoint", type=int, default=1_000)
    args = parser.parse_args()
    started = time.monotonic()
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="openagent-load-") as tmp_name:
        tmp = Path(tmp_name)
        model = build_tiny_model(tmp / "model")
        root = tmp / "ws"
        root.mkdir()
        env = server_env(tmp, model, OPENAGENT_PRECISION="fp32", OPENAGENT_COMPLETION__DEBOUNCE_MS="30",
                         OPENAGENT_COMPLETION__MAX_NEW_TOKENS="8", OPENAGENT_CHAT__MAX_NEW_TOKENS="64")
        server = start_initialized(env, root, stderr_path=tmp / "server.stderr")
        try:
            assert wait_model(server)["model"]["state"] == "ready"
            print("load: typing bursts + chat", file=sys.stderr)
            figures = run_load(server, root, streams=args.streams, keys=args.keys)
            out["typingLoad"] = figures.to_json()
            if args.completions > args.checkpoint:
                print("load: completions for RSS", file=sys.stderr)
                rss = completions_for_rss(server, root, args.completions, (args.checkpoint, args.completions))
                first, last = rss[args.checkpoint], rss[args.completions]
                out["rss"] = {"afterCompletions": {str(k): v for k, v in rss.items()},
                              "mibAtCheckpoint": round(first / 2**20, 1), "mibAtEnd": round(last / 2**20, 1),
                              "growthPercent": round((last - first) / first * 100, 2)}
            status = server.request("openagent/status", {})["result"]
            out["cachesAfterClosingEverything"] = status["caches"]
            out["completionCounters"] = status["completion"]
        finally:
            server.close()
    out["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
