#!/bin/bash
# scripts/check-exports.sh: checks that the durpred module exports only what
# PostgreSQL looks up by name.
#
#   scripts/check-exports.sh [MODULE]      (default: durpred.so, built by make)
#
# The module is built with -fvisibility=hidden (Makefile, src/durpred.h), so
# that its internal names cannot clash with another library's in the same
# backend.  This fails (exit 1) when the module's dynamic symbol table has
#   - a name other than _PG_init, Pg_magic_func, pg_finfo_* or durpred*/Durpred*;
#   - a durpred* name without its pg_finfo_ record, or a record without its
#     function: an internal helper exported under a SQL-callable name;
#   - a durpred* name that no extension script names (AS 'MODULE_PATHNAME',
#     '<symbol>');
# (a Durpred* name is an internal one, prefixed: allowed, and reported);
# or when an extension script names a symbol the module does not export
# (a SQL function without DURPRED_EXPORT, which CREATE EXTENSION would
# refuse).  Exit 2: the module or nm is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
module=${1:-$top/durpred.so}

if [ ! -f "$module" ]; then
	echo "check-exports: error: $module does not exist; run make first" >&2
	exit 2
fi
if ! command -v nm >/dev/null; then
	echo "check-exports: error: nm is not installed (binutils)" >&2
	exit 2
fi

exported=$(nm -D --defined-only "$module" | awk '{ print $NF }' | sort -u)
# the C symbols the extension scripts bind SQL functions to
scripted=$(grep -ho "'MODULE_PATHNAME', *'[A-Za-z0-9_]*'" "$top"/sql/durpred--*.sql |
	sed "s/.*, *'\\(.*\\)'/\\1/" | sort -u)

failed=0
fail() {
	echo "check-exports: $*" >&2
	failed=1
}

for sym in $exported; do
	case $sym in
		_PG_init | Pg_magic_func) ;;
		pg_finfo_*)
			grep -qx "${sym#pg_finfo_}" <<<"$exported" ||
				fail "$sym is exported without its function ${sym#pg_finfo_}"
			;;
		Durpred*)
			echo "check-exports: note: $sym is exported (prefixed, not a SQL function)"
			;;
		durpred*)
			grep -qx "pg_finfo_$sym" <<<"$exported" ||
				fail "$sym is exported but is no SQL function (no pg_finfo_$sym): hide it"
			grep -qx "$sym" <<<"$scripted" ||
				fail "$sym is exported but no extension script (sql/) names it"
			;;
		*)
			fail "$sym is exported: only _PG_init, Pg_magic_func, pg_finfo_* and durpred*/Durpred* may be"
			;;
	esac
done

for sym in $scripted; do
	grep -qx "$sym" <<<"$exported" ||
		fail "$sym is named by an extension script but not exported (DURPRED_EXPORT before its PG_FUNCTION_INFO_V1?)"
	grep -qx "pg_finfo_$sym" <<<"$exported" ||
		fail "$sym is named by an extension script but pg_finfo_$sym is not exported"
done

if [ "$failed" != 0 ]; then
	echo "check-exports: $module exports more or less than PostgreSQL looks up" >&2
	exit 1
fi
echo "check-exports: $(wc -w <<<"$exported") symbols exported by $(basename "$module"), all looked up by PostgreSQL"
