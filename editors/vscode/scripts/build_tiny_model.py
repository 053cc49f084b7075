"""Builds the tests' tiny real model (random weights, real tokenizer) into the folder given as argument.

Run with the project's Python: the integration tests of the extension point the server at this folder.
It carries a chat template and the tests set promptStyle=chat: any answer is then taken as code or streamed
by the agent, so the tests see the editor-side mechanics, not the tiny model's (noise) words.
"""

import os
import sys
from pathlib import Path

# One thread: on a busy 2-core machine, OpenMP threads waiting on each other make training crawl.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.support.tiny_model import build_tiny_model  # noqa: E402

if __name__ == "__main__":
    folder = Path(sys.argv[1])
    if not (folder / "config.json").exists():
        build_tiny_model(folder, chat=True)
    print(folder)
