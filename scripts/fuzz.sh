#!/usr/bin/env bash
# Builds the fuzz targets in fuzz/ (cargo-fuzz, libFuzzer) and runs each for SECONDS (default 60),
# printing each target's executions and executions per second; exits non-zero if any target
# crashed or failed an assertion. `just fuzz [SECONDS]` runs it, `just fuzz-ci` for a short while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (every target when none is named)
#
# A crashing input is saved under fuzz/artifacts/<target>/; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz -s none <target> <file>
# (or run fuzz/target/<host>/release/<target> <file>),
# then fix the bug, add a unit test beside the code, and copy the input into fuzz/corpus/<target>/
# so every later run replays it.
#
# Each target reads its seeds from fuzz/corpus/<target>/ (committed, only read) and grows a working
# corpus in fuzz/target/corpus/<target>/ (not committed), kept between runs on one machine.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }

command -v cargo-fuzz >/dev/null 2>&1 || {
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 1
}
# cargo-fuzz passes nightly-only compiler flags (the libFuzzer coverage passes, `--cfg fuzzing`);
# RUSTC_BOOTSTRAP lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
# The fuzz crate has its own lock file (not committed): start it from the workspace's, so the
# targets link the versions the server ships with.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

# No sanitizer (`-s none`): the workspace forbids unsafe code, so AddressSanitizer would mostly
# instrument the dependencies' code at several times the build and run cost. Panics (failed
# assertions, overflow checks, out-of-bounds indexing) are what these targets look for, and
# cargo-fuzz builds them with debug assertions on.
flags=(--fuzz-dir fuzz -s none)
cargo fuzz build "${flags[@]}"
bin_dir="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)

mkdir -p fuzz/target/logs
failed=()
printf '\n%-24s %8s %12s %10s\n' target seconds executions "execs/s"
for target in "${targets[@]}"; do
    work="fuzz/target/corpus/$target"
    log="fuzz/target/logs/$target.log"
    mkdir -p "$work" "fuzz/corpus/$target"
    status=ok
    mkdir -p "fuzz/artifacts/$target"
    # The binary just built, run as `cargo fuzz run` would run it, without a rebuild in between.
    # A run that ends by time exits 0; a crash, a failed assertion or a timeout (-timeout, in
    # seconds per input) exits non-zero. -rss_limit_mb bounds memory per target.
    "$bin_dir/$target" -artifact_prefix="fuzz/artifacts/$target/" \
        -max_total_time="$seconds" -print_final_stats=1 -dict=fuzz/fuzz.dict \
        -timeout=10 -rss_limit_mb=2048 "$work" "fuzz/corpus/$target" >"$log" 2>&1 || status=FAILED
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    printf '%-24s %8s %12s %10s %s\n' "$target" "$seconds" "${execs:--}" "${rate:--}" "$([ $status = ok ] || echo FAILED)"
    if [ $status != ok ]; then
        failed+=("$target")
        # The panic message and the path of the saved input.
        grep -E "panicked at|^thread|assertion|Test unit written|ERROR: libFuzzer" "$log" | head -20 | sed 's/^/    /' || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found failures in: ${failed[*]} (logs in fuzz/target/logs/, inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds} s each, no failures"
