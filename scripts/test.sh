#!/usr/bin/env bash
# The test command: builds every component exactly as `spin build` does (from the
# [component.*.build] sections of spin.toml), builds the harness's probe component, then runs
# the whole suite: core and shell unit tests, the harness's Spin-semantics tests, the
# end-to-end tests that run the real .wasm components, and the checks of the deployment files
# (tests/e2e/tests/deploy: deploy/spinkube's Kubernetes YAML against its schemas and spin.toml,
# and spin.toml's readiness for `spin registry push`).
set -euo pipefail
cd "$(dirname "$0")/.."

# Build the test binaries first and take the harness binary from that same build: a separate
# `cargo run -p orderpath-harness` resolves other features and compiles wasmtime a second time
# (twice the time and disk).
cargo test --no-run --quiet
harness() { "${CARGO_TARGET_DIR:-target}/debug/spin-harness" "$@"; }

harness build -f spin.toml
harness build -f tests/probe/spin.toml
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Without -p, cargo tests the workspace's default-members: every native crate (components
# are cdylibs for wasm32-wasip2 and are tested through the harness instead). The harness logs
# every statement the app runs, and libSQL's engine then replays them (tests/libsql-check).
# An absolute path: each test binary runs in its own crate's folder.
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
export ORDERPATH_SQL_LOG="$target_dir/sql-statements.jsonl"
rm -f "$ORDERPATH_SQL_LOG"
cargo test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$#" -eq 0 ]; then
  cargo test -p orderpath-libsql-check 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
set -e
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { passed += $4; failed += $6 } END { print passed + 0 " passed, " failed + 0 " failed" }' "$log"
exit "$status"
