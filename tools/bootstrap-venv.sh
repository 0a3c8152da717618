#!/usr/bin/env bash
# Create .venv with the newest Python >= 3.12 found, falling back to 3.11 (ansible-core 2.19).
# pyenv shims can exist for versions that are not installed, so every candidate is run, not trusted.
set -euo pipefail
venv=${1:-.venv}
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for p in "$root"/versions/3.*/bin/python3.*; do
    if [[ $p =~ python3\.[0-9]+$ ]]; then candidates+=("$p"); fi
  done
fi
for name in python3.14 python3.13 python3.12 python3.11 python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
best="" best_minor=0
for p in "${candidates[@]}"; do
  minor=$("$p" -c 'import sys, venv; print(sys.version_info[1] if sys.version_info[0] == 3 else 0)' 2>/dev/null) || continue
  if [ "$minor" -gt "$best_minor" ]; then best=$p best_minor=$minor; fi
done
if [ "$best_minor" -lt 11 ]; then
  echo "bootstrap: no usable Python >= 3.11 found (tried: ${candidates[*]:-none})" >&2
  exit 1
fi
if [ "$best_minor" -lt 12 ]; then
  echo "bootstrap: no Python >= 3.12 found; using $best (3.$best_minor) with ansible-core 2.19" >&2
  runtime=requirements/runtime-py311.txt
else
  echo "bootstrap: using $best (3.$best_minor)" >&2
  runtime=requirements/runtime.txt
fi
"$best" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$runtime" -r requirements/dev.txt
