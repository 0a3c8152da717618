#!/usr/bin/env bash
# The module, plugin and role reference (docs/modules/) as antsibull-docs writes it for reading
# outside a Sphinx site: one RST page per module, plugin and role, and index.rst, from the
# documentation ansible-doc shows. New plugins and roles are picked up by themselves.
#
# Usage: tools/build-docs.sh [DEST]   (default: docs/modules; tests/unit/test_docs.py passes a
# scratch directory and compares it with docs/modules)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
dest=${1:-$repo/docs/modules}
fqcn=$(sed -n 's/^namespace: *//p' "$repo/galaxy.yml").$(sed -n 's/^name: *//p' "$repo/galaxy.yml")

# antsibull-docs asks ansible-doc for the documentation; only this checkout's copy of the collection
# may answer (through the collections/ link), never one installed elsewhere on the machine.
export PATH=$venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$repo/collections ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
# antsibull-docs refuses a destination that others may write to (a umask 002 checkout).
mkdir -p "$dest"
chmod go-w "$dest"
# No antsibull-docs version in the pages: it would make every page stale on an upgrade that
# changes nothing else. --cleanup everything: pages of removed plugins go too.
antsibull-docs collection --use-current --squash-hierarchy --output-format simplified-rst \
  --no-add-antsibull-docs-version --fail-on-error --cleanup everything --dest-dir "$dest" "$fqcn"
