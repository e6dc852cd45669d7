#!/usr/bin/env bash
# Installs what Grantry needs on Debian/Ubuntu, skipping whatever is already there:
# system packages (Tauri's WebKitGTK stack, PostgreSQL server binaries, the Secret Service and,
# for tests, Xvfb, WebKitWebDriver and the test rig's Python venv with moto and boto3), a Rust
# toolchain, Node.js and the UI's npm packages.
# Usage: src-tauri/dev/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/../.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential pkg-config curl ca-certificates openssl libssl-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  gnome-keyring libsecret-tools dbus-x11
  postgresql postgresql-client
)
if [ "$want_test" = 1 ]; then
  packages+=(xvfb xauth webkit2gtk-driver python3 python3-venv)
fi
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # The postgresql package starts a system cluster; Grantry does not use it.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $node_major is too old for the UI build; install Node.js 20 or newer" >&2
  exit 1
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund)
fi

if [ "$want_test" = 1 ]; then
  echo "setup: PostgreSQL 16, 17 and 18 for the version matrix"
  tests/rig/pg-versions/install.sh
fi

if [ "$want_test" = 1 ]; then
  # The test rig's AWS stand-ins (tests/rig/src/moto.rs): moto's server and boto3, pinned in
  # tests/rig/aws/requirements.txt, in a venv the rig finds at tests/rig/.venv.
  venv=tests/rig/.venv
  req=tests/rig/aws/requirements.txt
  if ! cmp -s "$req" "$venv/.installed-requirements.txt" || [ ! -x "$venv/bin/moto_server" ]; then
    echo "setup: Python venv for the test rig (moto, boto3)"
    py=/usr/bin/python3
    [ -x "$py" ] || py=python3
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
    cp "$req" "$venv/.installed-requirements.txt"
  fi
fi
