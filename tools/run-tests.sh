#!/usr/bin/env bash
# Every test suite of the collection, one section after another (what `make test` and CI run).
#
# All sections run even when one fails, so a single run shows everything that is broken; the exit
# status is non-zero when any section failed. The closing lines are a table (section, status,
# seconds) and one line "total: N passed, N failed, N skipped" that sums the tests of every
# section: pytest's own counts for pytest sections, one test per section for the other tools.
#
# A pytest suite that collects no test fails (pytest exit 5): an empty suite that passes would
# hide a missing or mis-collected test directory.
#
# Usage: tools/run-tests.sh [SECTION ...]   (default: all; names as in the summary table)
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
venv=${VENV:-$repo/.venv}
export PATH=$venv/bin:$PATH
export ANSIBLE_CONFIG=$repo/ansible.cfg
out=$repo/tests/output
mkdir -p "$out/junit" "$out/logs"

molecule_scenario=extensions/molecule/default
# The suites that drive ansible-playbook (integration, reliability, and test directories added later
# under tests/, without anyone having to remember this file) share one pool of pytest workers: run
# one after the other, each ends with a worker idle while the other finishes its longest file.
playbook_dirs=(integration)
for d in tests/*/; do
  d=${d#tests/} d=${d%/}
  case " unit contract differential ${playbook_dirs[*]} build sanity output __pycache__ " in *" $d "*) continue ;; esac
  [ -n "$(find "tests/$d" -name 'test_*.py' -print -quit)" ] || continue
  playbook_dirs+=("$d")
done
all_sections=(unit contract playbooks targets real-mailcow molecule ansible-lint changelog sanity build bench-smoke)
# The [real] half (tests/real_mailcow.py): every test against the real Mailcow API, in a section of
# its own, serially (one real instance). Without REAL_MAILCOW_URL it is skipped and says so; with
# CI=true the tests fail instead. The other sections run the [emulator] half only.
real_paths=(contract integration/test_mailcow_modules.py differential)
if [ $# -gt 0 ]; then sections=("$@"); else sections=("${all_sections[@]}"); fi

declare -A status seconds
passed=0 failed=0 skipped=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Adds pytest's counts from its JUnit report; a report that is missing counts as one failure.
count_junit() {
  local counts
  counts=$(python - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print(0, 1, 0)
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skip = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - bad - skip, bad, skip)
EOF
)
  read -r p f s <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# run_pytest_section NAME DIR...: the tests under tests/DIR..., as one pytest run ([emulator] half;
# PYTEST_ARGS replaces the marker selection and the workers, as the real-mailcow section does).
run_pytest_section() {
  local name=$1 junit=$out/junit/$1.xml rc
  shift
  local paths=("${@/#/tests/}")
  local args=(-m "not real_mailcow" -n "${PYTEST_WORKERS:-2}" --dist loadfile)
  [ -z "${PYTEST_ARGS:-}" ] || read -ra args <<<"$PYTEST_ARGS"
  rm -f "$junit"
  # Integration-style suites spend their time in ansible-playbook processes, one core each: two
  # workers use both cores of the CI machine. Files stay whole on one worker (module fixtures).
  echo "pytest ${paths[*]} ${args[*]}"
  python -m pytest "${paths[@]}" -q --junitxml="$junit" "${args[@]}"
  rc=$?
  count_junit "$junit"
  if [ $rc -eq 5 ]; then
    echo "** $name: pytest collected no test in ${paths[*]}"
    status[$name]="FAILED (no tests)"
    failed=$((failed + 1))
  elif [ $rc -ne 0 ]; then
    status[$name]=FAILED
  else
    status[$name]=passed
  fi
}

# A tool that is not a test runner counts as one test.
run_tool_section() {
  local name=$1
  shift
  if "$@"; then
    status[$name]=passed passed=$((passed + 1))
  else
    status[$name]=FAILED failed=$((failed + 1))
  fi
}

run_start=$(now_ms)
for section in "${sections[@]}"; do
  printf '\n==================== %s ====================\n' "$section"
  start=$(now_ms)
  case $section in
    molecule)
      if [ -f "$molecule_scenario/molecule.yml" ]; then
        run_tool_section molecule molecule test --scenario-name default
      else
        echo "** no molecule scenario at $molecule_scenario"
        status[molecule]="absent"
      fi
      ;;
    ansible-lint) run_tool_section ansible-lint ansible-lint --nocolor ;;
    changelog) run_tool_section changelog antsibull-changelog lint ;;
    sanity) run_tool_section sanity tools/sanity.sh all ;;
    build) run_pytest_section build build ;;
    # tests/integration/targets as `ansible-test integration` runs them (each target starts its
    # stand-ins through setup_*, on free ports): one test per runnable target.
    targets)
      runnable=$(grep -L -x -E 'disabled|unsupported|hidden' tests/integration/targets/*/aliases | wc -l)
      if tools/sanity.sh integration; then
        status[targets]=passed passed=$((passed + runnable))
      else
        status[targets]=FAILED failed=$((failed + 1))
      fi
      ;;
    playbooks) run_pytest_section playbooks "${playbook_dirs[@]}" ;;
    real-mailcow)
      if [ -z "${REAL_MAILCOW_URL:-}" ]; then
        echo "** no real Mailcow API (REAL_MAILCOW_URL unset; see make real-mailcow): its [real] tests are skipped"
      fi
      PYTEST_ARGS="-m real_mailcow -n 0" run_pytest_section real-mailcow "${real_paths[@]}"
      if [ -z "${REAL_MAILCOW_URL:-}" ] && [ "${status[real-mailcow]}" = passed ]; then
        status[real-mailcow]="skipped (no server)"
      fi
      ;;
    # The fleet benchmark on a fleet of one: CI proves it runs; its numbers belong in docs/performance.md.
    bench-smoke) run_tool_section bench-smoke make --no-print-directory bench-smoke ;;
    *)
      if [ -d "tests/$section" ]; then
        run_pytest_section "$section" "$section"
      else
        echo "** unknown section $section (known: ${all_sections[*]})"
        status[$section]=FAILED failed=$((failed + 1))
      fi
      ;;
  esac
  ms=$(($(now_ms) - start))
  seconds[$section]=$((ms / 1000)).$((ms % 1000 / 100))
done

printf '\n==================== summary ====================\n'
printf '%-14s %-20s %8s\n' section status seconds
rc=0
for section in "${sections[@]}"; do
  printf '%-14s %-20s %8s\n' "$section" "${status[$section]}" "${seconds[$section]}"
  case ${status[$section]} in FAILED*) rc=1 ;; esac
done
ms=$(($(now_ms) - run_start))
printf '%-14s %-20s %8s\n' "(wall clock)" "" "$((ms / 1000)).$((ms % 1000 / 100))"
echo "total: $passed passed, $failed failed, $skipped skipped"
exit $rc
