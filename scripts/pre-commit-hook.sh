#!/usr/bin/env bash
# The `losslint` pre-commit hook (.pre-commit-hooks.yaml, `language: script`): runs the CLI of the
# LossLint checkout pre-commit cloned at the pinned `rev`, building it there on first use.
#
# pre-commit's own `language: node` cannot install LossLint: it runs `npm pack` and reads the
# tarball's name from its output, which the build step (a lifecycle script) pollutes
# (pre-commit/pre-commit#3460). So this script installs and builds once per clone (`npm ci`, then
# the esbuild bundle; from npm's cache when it holds the packages, else from the registry), under
# a lock so that parallel runs wait for one build, and then checks the files pre-commit passes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="$here/dist/cli.js"

if [ ! -f "$here/dist/.hook-ready" ]; then
  lock="$here/.hook-build.lock"
  until mkdir "$lock" 2>/dev/null; do sleep 1; done
  trap 'rmdir "$lock" 2>/dev/null || true' EXIT
  if [ ! -f "$here/dist/.hook-ready" ]; then
    echo "losslint: building LossLint in $here (first run of this rev only)..." >&2
    (cd "$here" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error && node scripts/build.mjs) >&2
    touch "$here/dist/.hook-ready"
  fi
  rmdir "$lock" 2>/dev/null || true
  trap - EXIT
fi

exec node "$cli" "$@"
