#!/usr/bin/env bash
# Runs every fuzz target in the repository for a while each:
#
#   scripts/fuzz.sh          # 10s per target
#   scripts/fuzz.sh 60s      # any -fuzztime: 60s, 5m, 1h, 10000x
#
# Targets are found per package with `go test -list`; each runs alone
# (go test -fuzz takes one target at a time), seed corpus first
# (testdata/fuzz/<FuzzName>/ and the f.Add seeds), then generated inputs.
# The first failure stops the script with exit code 1 and says where the
# failing input was saved and how to re-run it. Run from anywhere.
#
# A duration (10s) can fail with a bare "context deadline exceeded" and no
# input saved: a race in Go's fuzz coordinator at the deadline, fixed in Go
# 1.27 (golang/go#75804). Such a run is retried once; a count (10000x) has no
# deadline to race, which is why make test uses one.
#
# FUZZMINIMIZETIME (default 5s) bounds the minimizing of each new input,
# crashers included: go test's default of 60s would spend most of a short
# run shrinking large inputs instead of fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

fuzztime="${1:-10s}"
minimizetime="${FUZZMINIMIZETIME:-5s}"
case "$fuzztime" in
-h | --help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
esac

# -timeout covers the whole test binary, fuzzing included: give each run its
# fuzz time plus ten minutes for building and the seed corpus. A time the
# shell cannot add up (10000x) keeps go test's default.
timeout_flag=()
secs=0 rest="$fuzztime"
while [[ "$rest" =~ ^([0-9]+)(h|m|s)(.*)$ ]]; do
	n="${BASH_REMATCH[1]}" unit="${BASH_REMATCH[2]}" rest="${BASH_REMATCH[3]}"
	case "$unit" in h) secs=$((secs + n * 3600)) ;; m) secs=$((secs + n * 60)) ;; s) secs=$((secs + n)) ;; esac
done
if [[ -z "$rest" && "$secs" -gt 0 ]]; then
	timeout_flag=(-timeout "$((secs + 600))s")
fi

# Packages whose tests declare a fuzz target. (go test -list builds and runs
# each test binary, TestMain included, so it is asked only where a grep
# finds one.)
pkgs=()
while read -r pkg dir; do
	if grep -qsE '^func Fuzz[A-Za-z0-9_]*\(' "$dir"/*_test.go; then
		pkgs+=("$pkg")
	fi
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)

targets=()
for pkg in "${pkgs[@]}"; do
	while read -r name; do
		targets+=("$pkg $name")
	done < <(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz')
done
if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, $fuzztime each"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	dir=$(go list -f '{{.Dir}}' "$pkg")
	t0=$SECONDS
	echo "=== $pkg $name"
	ok=0
	for attempt in 1 2; do
		if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimizetime" "${timeout_flag[@]}" "$pkg" 2>&1 | tee "$log"; then
			ok=1
			break
		fi
		# The coordinator's deadline race (see above): a failure whose only
		# message is the deadline, with no input saved and no test output.
		if [[ $attempt -eq 1 ]] && grep -q '^    context deadline exceeded$' "$log" &&
			! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
			echo "fuzz: $name stopped on Go's fuzztime deadline race (golang/go#75804), not on an input; running it again" >&2
			continue
		fi
		break
	done
	if [[ $ok -eq 1 ]]; then
		echo "--- ok $name ($((SECONDS - t0))s)"
		continue
	fi
	echo "--- FAIL $pkg $name ($((SECONDS - t0))s)" >&2
	saved=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$log" | tail -n 1)
	if [[ -n "$saved" ]]; then
		echo "fuzz: failing input saved to ${dir#"$PWD/"}/$saved" >&2
		echo "fuzz: re-run it with: go test -run '^$name/${saved##*/}\$' $pkg" >&2
		echo "fuzz: keep the file as a regression seed once the bug is fixed" >&2
	else
		echo "fuzz: $name failed without saving an input (a build error, or a failure in the seed corpus: see above)" >&2
	fi
	exit 1
done
echo "fuzz: all ${#targets[@]} targets passed in $((SECONDS - start))s"
