# scripts/lib.sh: helpers shared by the project's scripts (sourced; POSIX sh).

# as_root COMMAND...
#	Runs a command as root: directly when this is root, else through sudo,
#	which asks for a password when it needs one.  Without sudo, says what
#	is needed and exits.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "${0##*/}: error: this needs root, or sudo, which is not installed: $*" >&2
		exit 1
	fi
}

# bench_row NAME VALUE HOW
#	A row of make bench's table of figures.
bench_row() {
	printf '| %s | %s | %s |\n' "$1" "$2" "$3"
}

# as_postgres COMMAND...
#	Runs a command as the postgres user when this is root (PostgreSQL
#	refuses to run as root), else as this user.
as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# random_inserts N
#	N single-row inserts of a pending run on a random page of the demo
#	data (pages 1 to 750, the same ones at every call), for make bench.
random_inserts() {
	awk -v n="$1" 'BEGIN {
		srand(42)
		for (i = 0; i < n; i++)
			printf "INSERT INTO app.noteflow_run (notebook_page_id, workspace_id, status, created_at) " \
				"SELECT id, workspace_id, %cpending%c, now() FROM app.notebook_page WHERE id = %d;\n",
				39, 39, 1 + int(rand() * 750)
	}'
}
