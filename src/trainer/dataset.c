/*-------------------------------------------------------------------------
 *
 * src/trainer/dataset.c
 *		Connecting, checking the source, and streaming its rows.
 *
 * The session's search_path is emptied first; every name sent is
 * qualified or quoted, and a source given by name must name its schema.
 * Rows arrive through COPY ... TO STDOUT and are parsed as they come, never
 * held in one result.  They are then put in an order of their own (by
 * run_id, then by value), so that what follows does not depend on the
 * order in which the server sent them, which a query or a parallel plan
 * need not keep from one run to the next.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* type OIDs of the columns the trainer reads */
#define BOOLOID 16
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define FLOAT4OID 700
#define FLOAT8OID 701
#define TIMESTAMPOID 1114
#define TIMESTAMPTZOID 1184
#define NUMERICOID 1700

/*
 * ServerError
 *		The server's message for a failed result: its primary text and its
 *		detail, without "ERROR:" and the query excerpt; for a connection,
 *		libpq's message.
 */
char *
ServerError(PGconn *conn, PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	char	   *msg;
	size_t		len;

	if (primary == NULL)
		msg = xstrdup(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	else
	{
		msg = xmalloc(strlen(primary) + (detail ? strlen(detail) : 0) + 4);
		sprintf(msg, "%s%s%s", primary, detail ? ". " : "", detail ? detail : "");
	}
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		memmove(msg, msg + 8, strlen(msg + 8) + 1);
	return msg;
}

/*
 * ConnectDatabase
 *		Connects like psql (options first, then PG* variables) and empties
 *		the session's search_path.
 */
PGconn *
ConnectDatabase(const Options *opts)
{
	const char *keywords[6];
	const char *values[6];
	int			n = 0;
	PGconn	   *conn;
	PGresult   *res;

	if (opts->host)
	{
		keywords[n] = "host";
		values[n++] = opts->host;
	}
	if (opts->port)
	{
		keywords[n] = "port";
		values[n++] = opts->port;
	}
	if (opts->username)
	{
		keywords[n] = "user";
		values[n++] = opts->username;
	}
	if (opts->dbname)
	{
		keywords[n] = "dbname";
		values[n++] = opts->dbname;
	}
	keywords[n] = "fallback_application_name";
	values[n++] = progname;
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL)
		fatal("out of memory");
	if (PQstatus(conn) != CONNECTION_OK)
		fatal("%s", ServerError(conn, NULL));

	res = PQexec(conn, "SELECT pg_catalog.set_config('search_path', '', false)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fatal("could not set search_path: %s", ServerError(conn, res));
	PQclear(res);
	return conn;
}

/*
 * is_query
 *		Whether the source is a query rather than a name.
 */
static bool
is_query(const char *source)
{
	static const char *const words[] = {"select", "with", "values", "table", NULL};
	int			i;

	while (isspace((unsigned char) *source) || *source == '(')
		source++;
	for (i = 0; words[i] != NULL; i++)
	{
		size_t		n = strlen(words[i]);

		if (strncasecmp(source, words[i], n) == 0 &&
			(source[n] == '\0' || isspace((unsigned char) source[n]) || source[n] == '('))
			return true;
	}
	return false;
}

/*
 * unqualified_name
 *		Refuses a table or view name without its schema: with the session's
 *		search_path empty it would name nothing (or a system catalog).  The
 *		hint lists the schemas that have a table or view of that name.
 */
static void
__attribute__((noreturn))
unqualified_name(PGconn *conn, const char *source, const char *name)
{
	const char *params[1] = {name};
	PGresult   *res;
	char		hint[1024];
	int			rows;
	int			i;

	res = PQexecParams(conn,
					   "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)"
					   " FROM pg_catalog.pg_class c"
					   " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
					   " WHERE c.relname OPERATOR(pg_catalog.=) $1"
					   " AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v,m,p,f}'::pg_catalog.\"char\"[])"
					   " AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)"
					   " AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')"
					   " ORDER BY 1 LIMIT 4",
					   1, NULL, params, NULL, NULL, 0);
	rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	if (rows == 0)
		snprintf(hint, sizeof(hint), "Write the schema before the name, as in analytics.run_features.");
	else
	{
		snprintf(hint, sizeof(hint), "Write it with its schema%s", rows > 1 ? ", one of: " : ": ");
		for (i = 0; i < rows; i++)
			snprintf(hint + strlen(hint), sizeof(hint) - strlen(hint), "%s%s",
					 i > 0 ? ", " : "", PQgetvalue(res, i, 0));
		snprintf(hint + strlen(hint), sizeof(hint) - strlen(hint), ".");
	}
	PQclear(res);
	fatal_hint("The session's search_path is empty, so a table or view name must include its schema.",
			   hint, "source \"%s\" is not schema-qualified", source);
}

/*
 * quote_name
 *		A schema-qualified name, each part quoted: a part written in double
 *		quotes is taken as it is, a bare part is folded to lower case, as
 *		PostgreSQL reads identifiers.
 */
static char *
quote_name(PGconn *conn, const char *name)
{
	size_t		cap = strlen(name) * 2 + 16;
	char	   *out = xmalloc(cap);
	size_t		len = 0;
	const char *p = name;
	int			parts = 0;

	out[0] = '\0';
	for (;;)
	{
		char	   *part = xmalloc(strlen(name) + 1);
		size_t		n = 0;
		char	   *quoted;

		if (*p == '"')
		{
			p++;
			for (;;)
			{
				if (*p == '\0')
					fatal("source name %s has an unterminated quote", name);
				if (*p == '"' && p[1] == '"')
				{
					part[n++] = '"';
					p += 2;
				}
				else if (*p == '"')
				{
					p++;
					break;
				}
				else
					part[n++] = *p++;
			}
		}
		else
		{
			while (*p != '\0' && *p != '.')
			{
				if (!(isalnum((unsigned char) *p) || *p == '_' || *p == '$' ||
					  (unsigned char) *p >= 0x80))
					fatal("source \"%s\" is neither a table name nor a query", name);
				part[n++] = (char) tolower((unsigned char) *p++);
			}
		}
		part[n] = '\0';
		if (n == 0)
			fatal("source \"%s\" is neither a table name nor a query", name);
		quoted = PQescapeIdentifier(conn, part, n);
		if (quoted == NULL)
			fatal("could not quote \"%s\": %s", part, PQerrorMessage(conn));
		if (len + strlen(quoted) + 2 > cap)
		{
			cap = (len + strlen(quoted) + 2) * 2;
			out = xrealloc(out, cap);
		}
		len += sprintf(out + len, "%s%s", len > 0 ? "." : "", quoted);
		PQfreemem(quoted);
		if (*p == '\0' && parts == 0)
			unqualified_name(conn, name, part);
		free(part);
		parts++;
		if (*p == '\0')
			break;
		if (*p != '.')
			fatal("source \"%s\" is neither a table name nor a query", name);
		p++;
	}
	return out;
}

/*
 * type_name
 *		The SQL name of a type OID, for messages.
 */
static char *
type_name(PGconn *conn, Oid type)
{
	char		oid[16];
	const char *params[1] = {oid};
	PGresult   *res;
	char	   *name;

	snprintf(oid, sizeof(oid), "%u", type);
	res = PQexecParams(conn, "SELECT pg_catalog.format_type($1::pg_catalog.oid, NULL)",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		name = xstrdup(oid);
	else
		name = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return name;
}

static bool
is_number_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;
}

/*
 * parse_number
 *		A field of COPY text output as a double; false for a bad one.
 */
static bool
parse_number(const char *field, double *out)
{
	char	   *end;

	if (field[0] == 't' && field[1] == '\0')
		*out = 1;
	else if (field[0] == 'f' && field[1] == '\0')
		*out = 0;
	else
	{
		*out = strtod(field, &end);
		if (end == field || *end != '\0')
			return false;
	}
	return true;
}

/* the dataset being ordered (qsort has no context argument) */
static const Dataset *sort_data;

/*
 * compare_bits32 / compare_bits64
 *		Two floating-point values by their bits: a total order in which only
 *		the same value ties (NaN included, and -0 apart from 0).
 */
static int
compare_bits32(float a, float b)
{
	uint32_t	ua,
				ub;

	memcpy(&ua, &a, sizeof(ua));
	memcpy(&ub, &b, sizeof(ub));
	return (ua > ub) - (ua < ub);
}

static int
compare_bits64(double a, double b)
{
	uint64_t	ua,
				ub;

	memcpy(&ua, &a, sizeof(ua));
	memcpy(&ub, &b, sizeof(ub));
	return (ua > ub) - (ua < ub);
}

/*
 * by_run_id_then_values
 *		The rows' order: by run_id when the source has one, then by the
 *		features, the target and the start, so that only rows the same in
 *		every column the trainer reads tie, and which of them comes first
 *		changes nothing.
 */
static int
by_run_id_then_values(const void *a, const void *b)
{
	const Dataset *d = sort_data;
	size_t		ia = *(const size_t *) a;
	size_t		ib = *(const size_t *) b;
	int			c;
	int			i;

	if (d->has_run_id && d->row_id[ia] != d->row_id[ib])
		return d->row_id[ia] < d->row_id[ib] ? -1 : 1;
	for (i = 0; i < NUM_FEATURES; i++)
	{
		c = compare_bits32(d->x[ia * NUM_FEATURES + i], d->x[ib * NUM_FEATURES + i]);
		if (c != 0)
			return c;
	}
	c = compare_bits32(d->y[ia], d->y[ib]);
	if (c != 0)
		return c;
	return compare_bits64(d->started_at[ia], d->started_at[ib]);
}

/*
 * order_rows
 *		Puts the rows in the order of by_run_id_then_values, so that the
 *		split (a shuffle of row positions, or a sort by start with ties in
 *		row order) and so the model depend on the rows, not on the order in
 *		which they arrived.  The rows are permuted in place, one cycle at a
 *		time, not copied: the features are most of the trainer's memory.
 *		Rows sharing a run_id are kept, with a warning.
 */
static void
order_rows(Dataset *data)
{
	size_t		n = data->n;
	size_t	   *order = xmalloc(n * sizeof(size_t));
	float		x[NUM_FEATURES];
	float		y;
	int64_t		row_id;
	double		started_at;
	size_t		duplicates = 0;
	size_t		start;
	size_t		i;

	for (i = 0; i < n; i++)
		order[i] = i;
	sort_data = data;
	qsort(order, n, sizeof(size_t), by_run_id_then_values);

	/* position i gets row order[i]; a position done is marked SIZE_MAX */
	for (start = 0; start < n; start++)
	{
		size_t		to = start;

		if (order[start] == SIZE_MAX)
			continue;
		memcpy(x, data->x + start * NUM_FEATURES, sizeof(x));
		y = data->y[start];
		row_id = data->row_id[start];
		started_at = data->started_at[start];
		for (;;)
		{
			size_t		from = order[to];

			order[to] = SIZE_MAX;
			if (from == start)
				break;
			memcpy(data->x + to * NUM_FEATURES, data->x + from * NUM_FEATURES, sizeof(x));
			data->y[to] = data->y[from];
			data->row_id[to] = data->row_id[from];
			data->started_at[to] = data->started_at[from];
			to = from;
		}
		memcpy(data->x + to * NUM_FEATURES, x, sizeof(x));
		data->y[to] = y;
		data->row_id[to] = row_id;
		data->started_at[to] = started_at;
	}
	free(order);

	if (data->has_run_id)
	{
		for (i = 1; i < n; i++)
			if (data->row_id[i] == data->row_id[i - 1])
				duplicates++;
		if (duplicates > 0)
			warning("%zu rows repeat the run_id of another row; they are ordered by value",
					duplicates);
	}
}

/*
 * ReadDataset
 *		Checks the source's columns and reads its rows.
 */
void
ReadDataset(PGconn *conn, const Options *opts, Dataset *data)
{
	bool		query = is_query(opts->source);
	char	   *from;
	char	   *probe;
	char	   *sql;
	size_t		sql_len;
	PGresult   *res;
	int			col[NUM_FEATURES + 1];
	int			run_id_col,
				started_col;
	size_t		cap = 1024;
	int			ncols;
	int			i;
	bool		log_link = strcmp(opts->objective, "reg:gamma") == 0 ||
		strcmp(opts->objective, "reg:tweedie") == 0;

	memset(data, 0, sizeof(Dataset));
	if (query)
	{
		from = xmalloc(strlen(opts->source) + 32);
		sprintf(from, "(%s) AS source", opts->source);
	}
	else
		from = quote_name(conn, opts->source);
	data->source_sql = from;

	/* the columns: 25 features and the target by name */
	probe = xmalloc(strlen(from) + 64);
	sprintf(probe, "SELECT * FROM %s LIMIT 0", from);
	res = PQexec(conn, probe);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fatal_detail(ServerError(conn, res), "could not read source %s", opts->source);
	for (i = 0; i <= NUM_FEATURES; i++)
	{
		const char *name = i < NUM_FEATURES ? feature_names[i] : "duration_seconds";
		char		quoted[64];
		Oid			type;

		snprintf(quoted, sizeof(quoted), "\"%s\"", name);
		col[i] = PQfnumber(res, quoted);
		if (col[i] < 0)
			fatal("source %s has no column \"%s\"", opts->source, name);
		type = PQftype(res, col[i]);
		if (!(is_number_type(type) || (type == BOOLOID && i < NUM_FEATURES)))
			fatal("column \"%s\" of source %s has type %s, not a number%s", name,
				  opts->source, type_name(conn, type), i < NUM_FEATURES ? " or a boolean" : "");
	}
	run_id_col = PQfnumber(res, "\"run_id\"");
	if (run_id_col >= 0 && PQftype(res, run_id_col) != INT8OID &&
		PQftype(res, run_id_col) != INT4OID && PQftype(res, run_id_col) != INT2OID)
		run_id_col = -1;
	started_col = PQfnumber(res, "\"started_at\"");
	if (started_col >= 0 && PQftype(res, started_col) != TIMESTAMPTZOID &&
		PQftype(res, started_col) != TIMESTAMPOID)
		started_col = -1;
	PQclear(res);
	free(probe);
	data->has_run_id = run_id_col >= 0;
	data->has_started_at = started_col >= 0;
	if (strcmp(opts->split, "time") == 0 && !data->has_started_at)
		fatal("--split time needs a started_at column in source %s", opts->source);

	/* the rows, through COPY, in whatever order: order_rows orders them */
	sql_len = strlen(from) + 2048;
	sql = xmalloc(sql_len);
	strcpy(sql, "COPY (SELECT ");
	for (i = 0; i <= NUM_FEATURES; i++)
	{
		const char *name = i < NUM_FEATURES ? feature_names[i] : "duration_seconds";

		sprintf(sql + strlen(sql), "%s\"%s\"", i > 0 ? ", " : "", name);
	}
	ncols = NUM_FEATURES + 1;
	if (data->has_run_id)
	{
		strcat(sql, ", \"run_id\"");
		ncols++;
	}
	if (data->has_started_at)
	{
		strcat(sql, ", pg_catalog.date_part('epoch', \"started_at\")");
		ncols++;
	}
	sprintf(sql + strlen(sql), " FROM %s) TO STDOUT", from);

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		fatal_detail(ServerError(conn, res), "could not read source %s", opts->source);
	PQclear(res);

	data->x = xmalloc(cap * NUM_FEATURES * sizeof(float));
	data->y = xmalloc(cap * sizeof(float));
	data->row_id = xmalloc(cap * sizeof(int64_t));
	data->started_at = xmalloc(cap * sizeof(double));

	progress(opts, "%s: reading %s", progname, opts->source);
	for (;;)
	{
		char	   *line;
		int			len = PQgetCopyData(conn, &line, 0);
		char	   *field[NUM_FEATURES + 3];
		char	   *p;
		int			nf = 0;
		double		target;
		float		y;
		bool		usable = true;
		size_t		r;

		if (len == -1)
			break;
		if (len == -2)
			fatal_detail(ServerError(conn, NULL), "could not read source %s", opts->source);
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		for (p = line, field[nf++] = line; *p; p++)
		{
			if (*p == '\t')
			{
				*p = '\0';
				if (nf == ncols)
					fatal("unexpected row layout from source %s", opts->source);
				field[nf++] = p + 1;
			}
		}
		if (nf != ncols)
			fatal("unexpected row layout from source %s", opts->source);
		data->rows_read++;

		/*
		 * the target: NULL, NaN, infinite or negative rows are excluded;
		 * infinite once narrowed to XGBoost's float32, so 1e300 is too
		 */
		if (strcmp(field[NUM_FEATURES], "\\N") == 0)
		{
			data->excluded_null++;
			PQfreemem(line);
			continue;
		}
		if (!parse_number(field[NUM_FEATURES], &target))
			target = NAN;
		y = (float) target;
		if (!isfinite(y) || target < 0)
		{
			data->excluded_invalid++;
			PQfreemem(line);
			continue;
		}
		if (log_link && y <= 0)
		{
			data->excluded_nonpositive++;
			PQfreemem(line);
			continue;
		}

		if (data->n == cap)
		{
			cap *= 2;
			data->x = xrealloc(data->x, cap * NUM_FEATURES * sizeof(float));
			data->y = xrealloc(data->y, cap * sizeof(float));
			data->row_id = xrealloc(data->row_id, cap * sizeof(int64_t));
			data->started_at = xrealloc(data->started_at, cap * sizeof(double));
		}
		r = data->n;
		for (i = 0; i < NUM_FEATURES && usable; i++)
		{
			double		v;

			if (strcmp(field[i], "\\N") == 0)
				data->x[r * NUM_FEATURES + i] = NAN;
			else if (!parse_number(field[i], &v))
				fatal("column \"%s\" of source %s has a value that is not a number: %s",
					  feature_names[i], opts->source, field[i]);
			else
			{
				/* infinite once narrowed, as for the target */
				float		f = (float) v;

				if (isinf(f))
					usable = false;
				else
					data->x[r * NUM_FEATURES + i] = f;
			}
		}
		if (!usable)
		{
			data->excluded_infinite_feature++;
			PQfreemem(line);
			continue;
		}
		data->y[r] = y;
		i = NUM_FEATURES + 1;
		if (data->has_run_id)
			data->row_id[r] = strtoll(field[i++], NULL, 10);
		else
			data->row_id[r] = (int64_t) (data->rows_read - 1);
		data->started_at[r] = NAN;
		if (data->has_started_at && strcmp(field[i], "\\N") != 0)
			data->started_at[r] = strtod(field[i], NULL);
		data->n++;
		PQfreemem(line);
	}
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fatal_detail(ServerError(conn, res), "could not read source %s", opts->source);
	PQclear(res);
	free(sql);

	if (data->rows_read == 0)
		fatal("source %s has no rows", opts->source);
	if (data->excluded_null + data->excluded_invalid + data->excluded_nonpositive +
		data->excluded_infinite_feature > 0)
		progress(opts, "%s: excluded %zu of %zu rows: %zu NULL target, %zu NaN, infinite or "
				 "negative target, %zu zero target (log-link objective), %zu infinite feature",
				 progname, data->rows_read - data->n, data->rows_read, data->excluded_null,
				 data->excluded_invalid, data->excluded_nonpositive,
				 data->excluded_infinite_feature);
	if (data->n < MIN_ROWS)
	{
		char		detail[256];

		snprintf(detail, sizeof(detail),
				 "%zu rows were read and %zu excluded; the three splits need %d usable rows or more.",
				 data->rows_read, data->rows_read - data->n, MIN_ROWS);
		fatal_detail(detail, "source %s has only %zu usable rows", opts->source, data->n);
	}
	order_rows(data);
}
