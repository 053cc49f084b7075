#!/usr/bin/env bash
# Installs what the VS Code extension's build and tests need, from the package registries only:
# the extension's npm dependencies (npm ci), Debian's chromium and the native build tools, and a
# code-server build (VS Code's own workbench and extension host) cached under .test-host/.
# Idempotent: each step is skipped when its result is already there. Fails loudly on any error.
# --deps-only: Node and the npm dependencies only (enough to build and package the extension).
set -euo pipefail
DEPS_ONLY=false
[[ "${1:-}" == "--deps-only" ]] && DEPS_ONLY=true

EXT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
HOST_DIR="${OPENAGENT_VSCODE_HOST_DIR:-$EXT_DIR/.test-host}"
CODE_SERVER_VERSION=4.100.3   # VS Code 1.100.3; newer code-server needs Node 24
PLAYWRIGHT_VERSION=1.65.2
STAMP="$HOST_DIR/.installed-$CODE_SERVER_VERSION-$PLAYWRIGHT_VERSION"

say() { echo "== setup-test-host: $*"; }
die() { echo "setup-test-host: ERROR: $*" >&2; exit 1; }

apt_packages=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_packages+=("$1"); }
command -v node >/dev/null || { need_pkg nodejs; need_pkg npm; }
if ! $DEPS_ONLY; then
  need_pkg chromium
  need_pkg ripgrep
  need_pkg libkrb5-dev     # kerberos, a native module of the VS Code server
  need_pkg build-essential # node-gyp, when a native module has no prebuilt binary
  need_pkg python3
fi
if ((${#apt_packages[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages (${apt_packages[*]}); install them as root"
  say "apt-get install ${apt_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node >= 20 is needed (found $(node --version))"
$DEPS_ONLY || [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after apt-get"

# The extension's own dependencies, exactly as locked.
if [[ ! -f "$EXT_DIR/node_modules/.package-lock.json" || "$EXT_DIR/package-lock.json" -nt "$EXT_DIR/node_modules/.package-lock.json" ]]; then
  say "npm ci (extension)"
  (cd "$EXT_DIR" && npm ci --no-audit --no-fund)
fi

$DEPS_ONLY && exit 0

if [[ -f "$STAMP" ]] && node "$HOST_DIR/node_modules/code-server/out/node/entry.js" --version >/dev/null 2>&1; then
  say "code-server $CODE_SERVER_VERSION cached in $HOST_DIR"
  exit 0
fi

say "installing code-server $CODE_SERVER_VERSION into $HOST_DIR (about 2 minutes)"
rm -rf "$HOST_DIR" && mkdir -p "$HOST_DIR" && cd "$HOST_DIR"
cat > package.json <<JSON
{ "name": "openagent-vscode-test-host", "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION", "playwright-core": "$PLAYWRIGHT_VERSION" } }
JSON
# --ignore-scripts: code-server's postinstall would download ripgrep from GitHub.
npm install --ignore-scripts --no-audit --no-fund --loglevel=error
npm rebuild argon2
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
# Native modules of the VS Code server; npm_config_yes lets node-pty's postinstall fetch node-gyp from npm.
npm_config_yes=true npm rebuild kerberos node-pty @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog
mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --no-audit --no-fund --loglevel=error)
cd "$HOST_DIR"
node node_modules/code-server/out/node/entry.js --version
touch "$STAMP"
say "done"
