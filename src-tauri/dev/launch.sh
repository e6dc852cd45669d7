#!/usr/bin/env bash
# Sets everything up (first run only) and launches the Grantry desktop app.
# With no integration saved yet, the app starts a local sandbox PostgreSQL seeded with a sample.
set -euo pipefail
cd "$(dirname "$0")/../.."
src-tauri/dev/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run build)
cargo build --release -p grantry-app --features custom-protocol
cargo build --release -p grantry-cli
echo "The CLI is at target/release/grantry"
exec target/release/grantry-app "$@"
