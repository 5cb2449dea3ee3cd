# Sourced by the bench/ scripts: the notes every section of BENCHMARKS.md carries, and writing a
# section in place. Callers run under `set -euo pipefail`.

# bench_provenance LOADAVG SHARED: the section's "Date" and "Machine" lines; LOADAVG is the load
# average taken at the start, SHARED says what else ran on the machine during the measurement.
bench_provenance() {
    local dirty
    dirty=$([ -n "$(git status --porcelain 2>/dev/null)" ] && echo ", with uncommitted changes" || true)
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty."
    echo "- Machine: $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r); load average $1 at the start. $2"
}

# bench_write_section OUT NAME SECTION: puts the markdown file SECTION between the markers
# `<!-- NAME: begin -->` and `<!-- NAME: end -->` in OUT, replacing what was there, or appends it
# (creating OUT) the first time.
bench_write_section() {
    local out=$1 begin="<!-- $2: begin -->" end="<!-- $2: end -->" section=$3 tmp
    tmp=$(mktemp)
    { echo "$begin"; cat "$section"; echo "$end"; } >"$tmp.new"
    if [ -f "$out" ] && grep -qF "$begin" "$out"; then
        awk -v b="$begin" -v e="$end" -v f="$tmp.new" '
            $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
            $0 == e { skip = 0; next }
            !skip' "$out" >"$tmp"
        cat "$tmp" >"$out"
    else
        [ -f "$out" ] || printf '# Benchmarks\n\nFigures from `just bench`; each section names its machine, command and date.\n' >"$out"
        { echo; cat "$tmp.new"; } >>"$out"
    fi
    rm -f "$tmp" "$tmp.new"
    echo "== wrote the figures to $out"
}
