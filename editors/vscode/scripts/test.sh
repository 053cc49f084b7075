#!/usr/bin/env bash
# The extension's whole test run: install what is missing, type-check, unit tests, bundle, then the
# integration tests inside a real VS Code against the real Python server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-host.sh
npm run --silent typecheck
npm run --silent test:unit
npm run --silent build
start=$(date +%s)
node scripts/run-integration.mjs
echo "== real VS Code run: $(( $(date +%s) - start )) s"
