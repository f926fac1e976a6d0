#!/usr/bin/env bash
# The test command: builds every component exactly as `spin build` does (from the
# [component.*.build] sections of spin.toml), builds the harness's probe component, then runs
# the whole suite: core and shell unit tests, the harness's Spin-semantics tests, and the
# end-to-end tests that run the real .wasm components.
set -euo pipefail
cd "$(dirname "$0")/.."

harness() { cargo run --quiet -p orderpath-harness --bin spin-harness -- "$@"; }

harness build -f spin.toml
harness build -f tests/probe/spin.toml
cargo test --workspace --exclude order-events --exclude not-found --exclude scheduler --exclude staff-api --exclude spin-probe "$@"
