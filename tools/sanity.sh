#!/usr/bin/env bash
# ansible-test sanity and units, offline; and ansible-test integration (tests/integration/targets).
#
# ansible-test only accepts a collection that really sits at .../ansible_collections/<ns>/<name>
# (the committed collections/ symlink is refused), so the checkout is copied to a scratch tree
# first: the files git would commit (tracked plus untracked-but-not-ignored), so a fresh clone
# and a working tree under edit are tested alike and no venv or sandbox state leaks in.
#
# ansible-test bootstraps pip in every venv it creates by downloading a get-pip script; there is
# no route to that host here, so a stand-in built on ensurepip is put where ansible-test caches
# the download. The venvs themselves are cached by ansible-test under ~/.ansible/test, which is
# what makes a warm run fast.
#
# Usage: tools/sanity.sh [sanity|units|all|integration [TARGET...]]   (default: all: sanity and units)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
py=$venv/bin/python
what=${1:-all}
case $what in sanity | units | all | integration) ;; *)
  echo "usage: $0 [sanity|units|all|integration]" >&2
  exit 2
  ;;
esac

pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
namespace=$(sed -n 's/^namespace: *//p' "$repo/galaxy.yml")
name=$(sed -n 's/^name: *//p' "$repo/galaxy.yml")

# The pip version ansible-test pins changes with ansible-core releases: read it, never assume it.
pip_version=$("$py" - <<'EOF'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent.joinpath('_internal', 'python_requirements.py').read_text()
print(re.search(r"\bpip='([0-9.]+)'", source).group(1))
EOF
)
get_pip=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$get_pip")"
# Rewritten every run: a real get-pip left there by an earlier online run would also do, but a
# half-written download would not, and this stand-in is tiny.
cat >"$get_pip" <<'EOF'
"""Offline stand-in for get-pip.py, written by tools/sanity.sh: pip from ensurepip, then the pinned pip."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'], check=True, stdout=subprocess.DEVNULL)
subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--upgrade', '--force-reinstall'] + args, check=True)
EOF

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sanity.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
dest=$scratch/ansible_collections/$namespace/$name
mkdir -p "$dest"
cd "$repo"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # collections/ only holds the link back to the checkout; deleted-but-still-tracked files are skipped.
  git ls-files -z --cached --others --exclude-standard -- . ':!collections' |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$dest"
else
  tar --exclude=./.git --exclude=./.venv --exclude=./.sandbox --exclude=./collections \
    --exclude=./tests/output --exclude='__pycache__' -cf - . | tar -xf - -C "$dest"
fi

export PATH=$venv/bin:$PATH
cd "$dest"
status=0
# Findings get fixed, never ignored: an ignore entry would hide a real defect from every later run.
for ignore in tests/sanity/ignore-*.txt; do
  [ -e "$ignore" ] || continue
  if grep -qv '^[[:space:]]*$' "$ignore"; then
    echo "ERROR: $ignore has entries; fix the findings instead of ignoring them:" >&2
    grep -v '^[[:space:]]*$' "$ignore" >&2
    status=1
  fi
done
if [ "$what" = sanity ] || [ "$what" = all ]; then
  echo "== ansible-test sanity --python $pyver ($namespace.$name, pip $pip_version stand-in)"
  ansible-test sanity --python "$pyver" --color no || status=1
  # Modules run on managed hosts with older Pythons than the controller's. The compile test
  # catches syntax those cannot parse, for every such Python that is really installed here
  # (pyenv shims answer for versions that are not, so each candidate is run, not trusted).
  mkdir -p "$scratch/bin"
  target_versions=$("$py" -c 'from ansible_test._util.target.common.constants import REMOTE_ONLY_PYTHON_VERSIONS as r, CONTROLLER_PYTHON_VERSIONS as c; print(*r, *c)')
  for v in $target_versions; do
    [ "$v" = "$pyver" ] && continue
    found=""
    for candidate in "$(pyenv root 2>/dev/null)"/versions/"$v".*/bin/python"$v" /usr/bin/python"$v"; do
      if [ -x "$candidate" ] && "$candidate" -c '' 2>/dev/null; then found=$candidate; break; fi
    done
    if [ -z "$found" ]; then
      echo "== compile on Python $v: skipped, no Python $v installed"
      continue
    fi
    ln -sf "$found" "$scratch/bin/python$v"
    echo "== ansible-test sanity --test compile --python $v ($found)"
    PATH=$scratch/bin:$PATH ansible-test sanity --test compile --python "$v" --color no || status=1
  done
fi
if [ "$what" = units ] || [ "$what" = all ]; then
  echo "== ansible-test units --venv --python $pyver"
  ansible-test units --venv --python "$pyver" --color no || status=1
fi
if [ "$what" = integration ]; then
  # The targets start their own stand-ins (setup_mailcow, setup_bench) on free ports; local, no
  # container. The tests' Python packages (Flask for the emulator) come from the project's venv.
  echo "== ansible-test integration --python $pyver"
  ansible-test integration --python "$pyver" --color no "${@:2}" || status=1
fi
# Keep ansible-test's reports (junit, bot output) where the checkout's other test output goes.
if [ -d tests/output ]; then
  rm -rf "$repo/tests/output/ansible-test"
  mkdir -p "$repo/tests/output"
  cp -a tests/output "$repo/tests/output/ansible-test"
fi
exit $status
