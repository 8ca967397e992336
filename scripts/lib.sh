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
