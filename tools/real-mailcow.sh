#!/usr/bin/env bash
# The REAL Mailcow API (unmodified mailcow-dockerized data/web, nginx + PHP-FPM 8.2 + MariaDB +
# Redis from Debian, no Docker) on this machine, for the [real] half of the tests and the
# differential test (docs/testing.md). Needs root on Debian 12 (bookworm).
#
#   tools/real-mailcow.sh up --tarball mailcow-2026-07a.tar.gz   # from a tarball of the tag
#   tools/real-mailcow.sh up --checkout ~/mailcow-dockerized       # from a mailcow-dockerized checkout
#   tools/real-mailcow.sh up                                       # the tree already installed
#   tools/real-mailcow.sh reset | status | down [--purge]
#
# `up` installs the Debian packages when any is missing (tools/real-peers/install.sh), then runs
# tools/real-peers/mailcow/setup.sh (idempotent, ends with an empty server). Every step runs under
# flock $REAL_MAILCOW_LOCK (one real instance, shared by everyone on the machine); the services
# setup.sh starts must not inherit the lock (-o), or the lock would stay held as long as they run.
# MAILCOW_PORT (18080) and MAILCOW_ROOT (/srv/real-mailcow) move the server, as in setup.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
peers=$here/real-peers
lock=${REAL_MAILCOW_LOCK:-/tmp/real-mailcow.lock}
port=${MAILCOW_PORT:-18080}
url=http://127.0.0.1:$port

die() { echo "real-mailcow: $*" >&2; exit 1; }
locked() { flock -o "$lock" "$@"; }

# The mailcow tree of a checkout, packed the way setup.sh reads a tarball (what it extracts from git).
pack_checkout() {
  local checkout=$1 out=$2 stage commit
  [ -f "$checkout/data/web/json_api.php" ] || die "$checkout is not a mailcow-dockerized checkout (no data/web/json_api.php)"
  stage=$(mktemp -d)
  mkdir -p "$stage/mailcow/data/conf" "$stage/mailcow/data/Dockerfiles/phpfpm"
  cp -a "$checkout/data/web" "$stage/mailcow/data/web"
  cp -a "$checkout/data/conf/nginx" "$checkout/data/conf/phpfpm" "$checkout/data/conf/redis" "$stage/mailcow/data/conf/"
  cp -a "$checkout/data/Dockerfiles/phpfpm/docker-entrypoint.sh" "$stage/mailcow/data/Dockerfiles/phpfpm/"
  cp -a "$checkout/data/Dockerfiles/dockerapi" "$stage/mailcow/data/Dockerfiles/"
  cp -a "$checkout/docker-compose.yml" "$stage/mailcow/"
  # setup.sh keys its "tree already installed" check on the commit: a checkout without git history
  # gets the hash of its web tree instead, so that a changed tree is installed again.
  commit=$(git -C "$checkout" rev-parse HEAD 2>/dev/null \
           || (cd "$checkout/data/web" && find . -type f -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40))
  {
    echo "commit=$commit"
    echo "version=$(git -C "$checkout" describe --tags 2>/dev/null || echo "${commit:0:9}")"
    echo "commit_date=$(git -C "$checkout" log -1 --format=%ci 2>/dev/null || date -u '+%F %T +0000')"
  } > "$stage/mailcow/REVISION"
  tar -czf "$out" -C "$stage" mailcow
  rm -rf "$stage"
}

packages_missing() {
  local binary
  for binary in php php-fpm8.2 nginx redis-server mysql; do
    command -v "$binary" >/dev/null || return 0
  done
  [ -f /usr/share/php/PEAR.php ] || return 0
  php -m 2>/dev/null | grep -qix memcached || return 0
  return 1
}

up() {
  local tarball="" packed=""
  while [ $# -gt 0 ]; do
    case $1 in
      --tarball) tarball=$(realpath "$2"); shift 2 ;;
      --checkout) packed=$(mktemp --suffix=.tar.gz); pack_checkout "$2" "$packed"; tarball=$packed; shift 2 ;;
      *) die "unknown option $1 (use --tarball FILE or --checkout DIR)" ;;
    esac
  done
  [ "$(id -u)" = 0 ] || die "needs root (nginx, php-fpm in a private mount namespace, MariaDB, /web)"
  if packages_missing; then
    echo "real-mailcow: installing the Debian packages (tools/real-peers/install.sh, about a minute)"
    bash "$peers/install.sh"
  fi
  if [ -n "$tarball" ]; then
    locked env MAILCOW_TARBALL="$tarball" bash "$peers/mailcow/setup.sh"
  else
    locked bash "$peers/mailcow/setup.sh"
  fi
  [ -z "$packed" ] || rm -f "$packed"
}

case ${1:-} in
  up) shift; up "$@" ;;
  reset) locked bash "$peers/mailcow/reset.sh" ;;
  down) shift; locked bash "$peers/mailcow/stop.sh" "$@" ;;
  status)
    version=$(curl -fsS -m 5 -H "X-API-Key: ${REAL_MAILCOW_KEY:-REALKEY-0000-0000-0000-000000000001}" \
              "$url/api/v1/get/status/version" 2>/dev/null) || { echo "real Mailcow: not answering at $url"; exit 1; }
    echo "real Mailcow at $url: $version"
    ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
