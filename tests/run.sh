#!/usr/bin/env bash
# Runs every test: UI type check and unit tests, Rust unit and integration tests (real
# PostgreSQL clusters started by the test rig, a real Secret Service in its own D-Bus session),
# and the desktop E2E (the real app under Xvfb, driven over WebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
src-tauri/dev/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"

echo "== UI: type check, unit tests, build"
(cd ui && npm run check && npm test && npm run build)

echo "== Rust: formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== Rust: unit and integration tests"
cargo test --workspace

echo "== Desktop E2E"
cargo build -p grantry-app --features custom-protocol
cargo build -p grantry-testrig
bash tests/e2e/run.sh
