#!/usr/bin/env bash
# Installs what is missing, and only that; silent when everything is already there.
#   setup.sh serve   Rust's wasm32 target, wasm-bindgen-cli, trunk
#   setup.sh test    the above, plus Debian's chromium and chromium-driver, and playwright-core
# Versions are pinned here and in Cargo.toml / Trunk.toml / e2e/package.json; see
# ARCHITECTURE.md ("Toolchain") for why each one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what="${1:-test}"

WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
export PATH="$HOME/.cargo/bin:$PATH"

say() { echo "setup: $*" >&2; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || { say "$1 is required but not installed (see README.md)"; exit 1; }
}

need_cmd cargo
need_cmd rustup

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding Rust's wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  # Not --locked: its lockfile pins a webpki-roots version the registry no longer has.
  cargo install --quiet --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >&2
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 8 minutes, once)"
  cargo install --quiet --force --locked trunk --version "$TRUNK_VERSION" >&2
fi

[ "$what" = "serve" ] && exit 0

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  say "installing Debian's chromium and chromium-driver"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

need_cmd node
need_cmd npm
want=$(node -e "console.log(require('$root/e2e/package.json').dependencies['playwright-core'])")
have=$(node -e "try{console.log(require('$root/e2e/node_modules/playwright-core/package.json').version)}catch(e){}" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  say "installing playwright-core $want (npm)"
  (cd "$root/e2e" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
