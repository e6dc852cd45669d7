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
# One feature set for every cargo run below, the desktop build's included (its UI embedded), so
# that each dependency is compiled once: the E2E's app and pg-cluster come from the same build
# as the tests instead of a second and a third build of most crates.
CARGO_SET=(--workspace --features grantry-app/custom-protocol)
cargo fmt --all --check
cargo clippy "${CARGO_SET[@]}" --all-targets --quiet -- -D warnings

echo "== Rust: unit and integration tests"
cargo test "${CARGO_SET[@]}"

echo "== Desktop E2E"
cargo build "${CARGO_SET[@]}" --all-targets
bash tests/e2e/run.sh
