#!/usr/bin/env bash
# Sets up a PostgreSQL + PostGIS server for a centre: installs the distribution's packages when
# missing, makes sure the server runs, creates the district's database with PostGIS and a login
# that owns it, and prints the URL to give `citygrid migrate --to` (then seats, once they
# connect to servers). Run it on the server, as root (or with sudo).
#
#   scripts/setup-server.sh --db huizhou [--owner citygrid] [--superuser-url postgresql://postgres:…@host:port/postgres]
#
# Without --superuser-url it uses the distribution's own cluster through the local socket as
# the `postgres` account (starting it with pg_ctlcluster if it is down). The owner's password is
# generated and printed once; keep it in the centre's password safe.
set -euo pipefail

db=""
owner="citygrid"
superuser_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db="$2"; shift 2 ;;
    --owner) owner="$2"; shift 2 ;;
    --superuser-url) superuser_url="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if ! [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || ! [[ "$owner" =~ ^[a-z_][a-z0-9_]*$ ]]; then
  echo "usage: $0 --db NAME [--owner LOGIN] [--superuser-url URL]  (names: lower-case letters, digits, _)" >&2
  exit 2
fi

if [ -z "$superuser_url" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if ! command -v psql >/dev/null || [ -z "$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 2>/dev/null)" ]; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  fi
  major="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -1)"
  if ! dpkg-query -W -f='${Status}' "postgresql-$major-postgis-3" 2>/dev/null | grep -q "install ok installed"; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
  fi
  if ! $sudo runuser -u postgres -- psql -qAtc "SELECT 1" >/dev/null 2>&1; then
    $sudo pg_ctlcluster "$major" main start
  fi
  superuser() { $sudo runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAt "$@"; }
  host="$(hostname -f 2>/dev/null || hostname)"
  port="$($sudo runuser -u postgres -- psql -qAtc "SHOW port")"
else
  superuser() { psql "$superuser_url" -v ON_ERROR_STOP=1 -qAt "$@"; }
  host="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).hostname)' "$superuser_url")"
  port="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 5432)' "$superuser_url")"
fi

superuser_db() {
  local target="$1"; shift
  if [ -z "$superuser_url" ]; then
    superuser -d "$target" "$@"
  else
    psql "${superuser_url%/*}/$target" -v ON_ERROR_STOP=1 -qAt "$@"
  fi
}

password="$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')"
if [ "$(superuser -c "SELECT count(*) FROM pg_roles WHERE rolname = '$owner'")" = "0" ]; then
  superuser -c "CREATE ROLE $owner LOGIN CREATEROLE PASSWORD '$password'"
else
  superuser -c "ALTER ROLE $owner LOGIN CREATEROLE PASSWORD '$password'"
fi
if [ "$(superuser -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")" != "0" ]; then
  echo "database $db exists already; choose another name or drop it first" >&2
  exit 1
fi
superuser -c "CREATE DATABASE $db OWNER $owner ENCODING 'UTF8' TEMPLATE template0"
# PostGIS needs a superuser to enable; the owner then creates every citygrid table, and the
# group role of the district's seat logins (CREATEROLE, not superuser).
superuser_db "$db" -c "CREATE EXTENSION postgis"
superuser_db "$db" -c "REVOKE ALL ON DATABASE $db FROM PUBLIC; REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT ALL ON SCHEMA public TO $owner"

echo "postgresql://$owner:$password@$host:$port/$db"
echo "next: CITYGRID_AS_PASSWORD=… citygrid migrate --from DISTRICT.gpkg --to 'postgresql://$owner:…@$host:$port/$db' --as ADMIN" >&2
