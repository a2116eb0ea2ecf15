#!/bin/sh
# Entrypoint of the db image. On the first start (no system tables in the data directory) it
# creates them, secures root, creates a database and an application user from the variables
# below, runs /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh, then execs the server.
# The variables are the official `mariadb` image's, so `db` can switch to that image unchanged:
#   MARIADB_ROOT_PASSWORD  (or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1, MARIADB_RANDOM_ROOT_PASSWORD=1)
#   MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD
# Each MARIADB_X may be spelt MYSQL_X, or given as a file path in MARIADB_X_FILE (secrets).
set -eu

datadir=/var/lib/mysql
rundir=/run/mysqld
socket=$rundir/init.sock
initdb=/docker-entrypoint-initdb.d
server_pid=
client_password=

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S')" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# The value of MARIADB_$1, else MYSQL_$1, else the contents of the file named by *_$1_FILE.
setting() {
    for prefix in MARIADB MYSQL; do
        if printenv "${prefix}_$1" >/dev/null; then
            printenv "${prefix}_$1"
            return
        fi
        if file=$(printenv "${prefix}_$1_FILE"); then
            cat "$file"
            return
        fi
    done
}

sql_string() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
# shellcheck disable=SC2016 # literal backticks: MariaDB quotes identifiers with them
sql_ident() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }

# A client on the init server's private socket, as root (password-less until secure_accounts).
client() { MYSQL_PWD=$client_password mariadb --protocol=socket --socket="$socket" -uroot "$@"; }

start_init_server() {
    # No TCP while initialising: a healthcheck must not see a half-initialised server.
    "$@" --skip-networking --socket="$socket" &
    server_pid=$!
    tries=0
    until client -e 'SELECT 1' >/dev/null 2>&1; do
        kill -0 "$server_pid" 2>/dev/null || die "the server exited during initialisation"
        tries=$((tries + 1))
        [ "$tries" -lt 120 ] || die "the server did not accept connections within 60 s"
        sleep 0.5
    done
}

stop_init_server() {
    kill "$server_pid"
    wait "$server_pid"
    server_pid=
}

secure_accounts() {
    # mariadb-install-db also creates password-less root@127.0.0.1 and root@::1 (and anonymous
    # users): they would shadow root@'%' for TCP logins.
    drops=$(client -N -B -r -e "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';')
        FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')")
    pw=$(sql_string "$root_password")
    sql="SET @@SESSION.SQL_LOG_BIN = 0; $drops
        ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;
        CREATE USER 'root'@'%' IDENTIFIED BY $pw;
        GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "$database" ]; then
        sql="$sql CREATE DATABASE IF NOT EXISTS $(sql_ident "$database");"
    fi
    if [ -n "$user" ]; then
        sql="$sql CREATE USER $(sql_string "$user")@'%' IDENTIFIED BY $(sql_string "$password");"
        if [ -n "$database" ]; then
            sql="$sql GRANT ALL ON $(sql_ident "$database").* TO $(sql_string "$user")@'%';"
        fi
    fi
    client -e "$sql"
}

run_initdb_scripts() {
    export MARIADB_INIT_SOCKET="$socket"
    for script in "$initdb"/*; do
        [ -e "$script" ] || continue
        log "running $script"
        case "$script" in
            *.sh)
                if [ -x "$script" ]; then
                    "$script"
                else
                    # shellcheck disable=SC1090 # user-provided, like the official image
                    . "$script"
                fi
                ;;
            *.sql) client ${database:+"--database=$database"} <"$script" ;;
            *.sql.gz) gunzip -c "$script" | client ${database:+"--database=$database"} ;;
            *) log "ignoring $script (not .sh, .sql or .sql.gz)" ;;
        esac
    done
}

# A failed first start must not leave a half-made data directory that the next start would
# take for a finished one; wipe it, but only if it was empty before we began.
init_failed() {
    status=$?
    if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; fi
    if [ "$was_empty" = yes ]; then
        find "$datadir" -mindepth 1 -delete 2>/dev/null || true
        log "initialisation failed; the data directory was emptied again"
    else
        log "initialisation failed; $datadir is incomplete: empty it before the next start"
    fi
    exit "$status"
}

read_settings() {
    root_password=$(setting ROOT_PASSWORD)
    database=$(setting DATABASE)
    user=$(setting USER)
    password=$(setting PASSWORD)
    if [ -z "$root_password" ]; then
        if [ -n "$(setting RANDOM_ROOT_PASSWORD)" ]; then
            root_password=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
            log "GENERATED ROOT PASSWORD: $root_password"
        elif [ -z "$(setting ALLOW_EMPTY_ROOT_PASSWORD)" ]; then
            die "the data directory is empty: set MARIADB_ROOT_PASSWORD (or" \
                "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 or MARIADB_RANDOM_ROOT_PASSWORD=1)"
        fi
    fi
    [ "$user" != root ] || die "MARIADB_USER=root: root is created anyway; choose another name"
    if [ -n "$user" ] && [ -z "$password" ]; then
        die "MARIADB_USER is set but MARIADB_PASSWORD is not"
    fi
}

init_datadir() {
    read_settings
    was_empty=no
    [ -n "$(ls -A "$datadir")" ] || was_empty=yes
    trap init_failed EXIT
    # PID 1 ignores SIGTERM without a handler: let `docker stop` end a first start promptly.
    trap 'exit 143' TERM INT
    log "initialising an empty data directory in $datadir"
    # Run as mysql, it cannot chown the PAM helper and says so: show its output only on failure.
    if ! out=$(mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
        --skip-test-db "$@" 2>&1); then
        printf '%s\n' "$out" >&2
        die "mariadb-install-db failed"
    fi
    start_init_server mariadbd --datadir="$datadir" "$@"
    secure_accounts
    client_password=$root_password
    run_initdb_scripts
    stop_init_server
    trap - EXIT TERM INT
    log "initialisation done"
}

# `docker run IMAGE --some-option` means options for the server.
case "${1:-}" in -*) set -- mariadbd "$@" ;; esac

if [ "${1:-}" = mariadbd ] || [ "${1:-}" = mysqld ]; then
    if [ "$(id -u)" = 0 ]; then
        # A bind-mounted or older volume may belong to root: hand it to mysql, then drop root.
        mkdir -p "$datadir" "$rundir"
        find "$datadir" "$rundir" ! -user mysql -exec chown mysql:mysql {} +
        exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
    fi
    if [ ! -d "$datadir/mysql" ]; then
        server=$1
        shift
        init_datadir "$@"
        set -- "$server" "$@"
    fi
fi
log "exec $*"
exec "$@"
