#!/usr/bin/env bash
# Sourced by ./ferryw and .ci/run. Makes Node 24 and pnpm available and the workspace installed,
# whatever the machine has: the project targets Node 24 LTS, and a fresh machine may carry an older
# node (Debian's, or 20 which is past end of life). The official Node binary ships in the npm
# registry's node-linux-<arch> package, so npm from any node can fetch it into .tools/.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERRY_NODE_VERSION=24.21.0
FERRY_PNPM_VERSION=12.4.2
TOOLS="$FERRY_ROOT/.tools"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_tools() {
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "ferry: no Node 24 package for $(uname -m); install Node.js 24 yourself" >&2; return 1 ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    echo "ferry: npm is needed once to fetch Node 24 and pnpm; install Debian's 'npm' package (apt-get install -y npm)" >&2
    return 1
  fi
  local packages=("pnpm@$FERRY_PNPM_VERSION")
  [ "$(node_major)" -ge 24 ] || packages+=("node-linux-$arch@$FERRY_NODE_VERSION")
  echo "ferry: installing ${packages[*]} into .tools/ (one time)" >&2
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' >"$TOOLS/package.json"
  npm install --prefix "$TOOLS" --save-exact --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
}

add_tools_to_path() {
  local node_bin
  node_bin="$(ls -d "$TOOLS"/node_modules/node-linux-*/bin 2>/dev/null | head -n 1 || true)"
  [ -z "$node_bin" ] || PATH="$node_bin:$PATH"
  PATH="$TOOLS/node_modules/.bin:$PATH"
  export PATH
}

add_tools_to_path
if [ "$(node_major)" -lt 24 ] || ! [ -x "$TOOLS/node_modules/.bin/pnpm" ]; then
  install_tools
  add_tools_to_path
fi

cd "$FERRY_ROOT"
# Fast when nothing changed; keeps a stale node_modules from hiding a lockfile change.
pnpm install --frozen-lockfile --reporter=silent >&2 2>/dev/null || pnpm install --frozen-lockfile >&2
