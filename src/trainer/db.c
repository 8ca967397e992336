/*-------------------------------------------------------------------------
 *
 * src/trainer/db.c
 *		durpred-train's database code, all of it: connecting, the server's
 *		errors, the feature columns of durpred.features, checking the source
 *		and streaming its rows, installing the model, recording the training
 *		run (durpred.training_run) and the promotion gate's questions.
 *
 * The session's search_path is emptied first; every name sent is
 * qualified or quoted, and a source given by name must name its schema.
 * Rows arrive through COPY ... TO STDOUT, one line at a time, never held
 * in one result; dataset.c parses them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type_d.h"
#include "common/fe_memutils.h"
#include "common/logging.h"
#include "pqexpbuffer.h"

#include "db.h"

/*
 * The feature type, in the extension's schema (durpred.control: schema =
 * durpred, relocatable = false), and the target column of the training set
 * (extract/features.sql: analytics.run_features).
 */
#define FEATURES_TYPE "durpred.features"
#define TARGET_COLUMN "duration_seconds"
#define EXTENSION_HINT "Create the extension in that database: CREATE EXTENSION durpred."

static void unqualified_name(PGconn *conn, const char *source, const char *name) pg_attribute_noreturn();
static void read_failed(const Source *src, PGresult *res) pg_attribute_noreturn();

/*
 * server_error
 *		The server's message for a failed result: its primary text and its
 *		detail, without "ERROR:" and the query excerpt; for a connection,
 *		libpq's message.
 */
static char *
server_error(PGconn *conn, PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	char	   *msg;
	size_t		len;

	if (primary == NULL)
		msg = pg_strdup(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	else
		msg = psprintf("%s%s%s", primary, detail ? ". " : "", detail ? detail : "");
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		memmove(msg, msg + 8, strlen(msg + 8) + 1);
	return msg;
}

/*
 * log_server_detail
 *		The server's message for a failed result as the detail line of the
 *		error just logged, when it has one.
 */
static void
log_server_detail(PGconn *conn, PGresult *res)
{
	char	   *msg = server_error(conn, res);

	if (*msg != '\0')
		pg_log_error_detail("%s", msg);
	pg_free(msg);
}

/*
 * quote_ident
 *		An identifier quoted for SQL (and for PQfnumber, which reads the
 *		same quoting), allocated with pg_malloc.
 */
static char *
quote_ident(PGconn *conn, const char *name)
{
	char	   *quoted = PQescapeIdentifier(conn, name, strlen(name));
	char	   *copy;

	if (quoted == NULL)
		pg_fatal("could not quote \"%s\": %s", name, PQerrorMessage(conn));
	copy = pg_strdup(quoted);
	PQfreemem(quoted);
	return copy;
}

/*
 * check_buffer
 *		A PQExpBuffer that ran out of memory is marked broken, not reported.
 */
static void
check_buffer(PQExpBuffer buf)
{
	if (PQExpBufferBroken(buf))
		pg_fatal("out of memory");
}

/*
 * ConnectDatabase
 *		Connects like psql (options first, then PG* variables) and empties
 *		the session's search_path.
 */
PGconn *
ConnectDatabase(const Options *opts, const char *progname)
{
	char	   *error = NULL;
	PGconn	   *conn = TryConnectDatabase(opts, progname, &error);

	if (conn == NULL)
		pg_fatal("%s", error);
	return conn;
}

/*
 * TryConnectDatabase
 *		ConnectDatabase that never exits: NULL and the reason on failure.
 *		The failure path of a run (tracking.c, at exit) connects with it.
 */
PGconn *
TryConnectDatabase(const Options *opts, const char *progname, char **error)
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
	{
		*error = pg_strdup("out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		*error = server_error(conn, NULL);
		PQfinish(conn);
		return NULL;
	}

	res = PQexec(conn, "SELECT pg_catalog.set_config('search_path', '', false)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		*error = psprintf("could not set search_path: %s", server_error(conn, res));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

/*
 * ReadFeatureColumns
 *		The model's columns: the attributes of the database's type
 *		durpred.features, in attnum order, with whether each is an integer
 *		or a boolean (whose default is then a value it can take).  The
 *		database, not the trainer, owns the names; the trainer only refuses
 *		a type whose width is not the NUM_FEATURES it was compiled for.
 *
 * The query returns no row when the type does not exist, and one row of
 * NULLs when it has no attributes (the LEFT JOIN keeps the type's row).
 */
void
ReadFeatureColumns(PGconn *conn, FeatureColumns *features)
{
	PGresult   *res;
	int			rows;
	int			n;
	int			i;

	res = PQexec(conn,
				 "SELECT a.attname, a.atttypid"
				 " FROM pg_catalog.pg_type t"
				 " LEFT JOIN pg_catalog.pg_attribute a"
				 " ON a.attrelid OPERATOR(pg_catalog.=) t.typrelid"
				 " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
				 " WHERE t.oid OPERATOR(pg_catalog.=) pg_catalog.to_regtype('" FEATURES_TYPE "')"
				 " ORDER BY a.attnum");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pg_log_error("could not read the attributes of type \"%s\"", FEATURES_TYPE);
		log_server_detail(conn, res);
		exit(EXIT_FAILURE_RUN);
	}
	rows = PQntuples(res);
	if (rows == 0)
	{
		pg_log_error("type \"%s\" does not exist", FEATURES_TYPE);
		pg_log_error_detail("The trainer takes the names and the order of the model's features from this type of the durpred extension.");
		pg_log_error_hint(EXTENSION_HINT);
		exit(EXIT_FAILURE_RUN);
	}
	n = PQgetisnull(res, 0, 0) ? 0 : rows;
	if (n != NUM_FEATURES)
	{
		PQExpBuffer found = createPQExpBuffer();

		for (i = 0; i < n; i++)
			appendPQExpBuffer(found, "%s%s", i > 0 ? ", " : "", PQgetvalue(res, i, 0));
		check_buffer(found);
		pg_log_error("type \"%s\" has %d attributes, not %d", FEATURES_TYPE, n, NUM_FEATURES);
		if (n > 0)
			pg_log_error_detail("Its attributes are: %s.", found->data);
		pg_log_error_hint("Use the durpred-train built with the durpred extension installed in that database.");
		exit(EXIT_FAILURE_RUN);
	}
	for (i = 0; i < NUM_FEATURES; i++)
	{
		Oid			type = (Oid) strtoul(PQgetvalue(res, i, 1), NULL, 10);

		features->name[i] = pg_strdup(PQgetvalue(res, i, 0));
		features->whole[i] = type == BOOLOID || type == INT2OID || type == INT4OID ||
			type == INT8OID;
	}
	PQclear(res);
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
unqualified_name(PGconn *conn, const char *source, const char *name)
{
	const char *params[1] = {name};
	PGresult   *res;
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
	pg_log_error("source \"%s\" is not schema-qualified", source);
	pg_log_error_detail("The session's search_path is empty, so a table or view name must include its schema.");
	if (rows == 0)
		pg_log_error_hint("Write the schema before the name, as in analytics.run_features.");
	else
	{
		PQExpBuffer hint = createPQExpBuffer();

		appendPQExpBuffer(hint, "Write it with its schema%s", rows > 1 ? ", one of: " : ": ");
		for (i = 0; i < rows; i++)
			appendPQExpBuffer(hint, "%s%s", i > 0 ? ", " : "", PQgetvalue(res, i, 0));
		appendPQExpBufferChar(hint, '.');
		check_buffer(hint);
		pg_log_error_hint("%s", hint->data);
	}
	exit(EXIT_FAILURE_RUN);
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
	PQExpBuffer out = createPQExpBuffer();
	const char *p = name;
	int			parts = 0;
	char	   *result;

	for (;;)
	{
		char	   *part = pg_malloc(strlen(name) + 1);
		size_t		n = 0;
		char	   *quoted;

		if (*p == '"')
		{
			p++;
			for (;;)
			{
				if (*p == '\0')
					pg_fatal("source name %s has an unterminated quote", name);
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
					pg_fatal("source \"%s\" is neither a table name nor a query", name);
				part[n++] = (char) tolower((unsigned char) *p++);
			}
		}
		part[n] = '\0';
		if (n == 0)
			pg_fatal("source \"%s\" is neither a table name nor a query", name);
		quoted = quote_ident(conn, part);
		appendPQExpBuffer(out, "%s%s", parts > 0 ? "." : "", quoted);
		pg_free(quoted);
		if (*p == '\0' && parts == 0)
			unqualified_name(conn, name, part);
		pg_free(part);
		parts++;
		if (*p == '\0')
			break;
		if (*p != '.')
			pg_fatal("source \"%s\" is neither a table name nor a query", name);
		p++;
	}
	check_buffer(out);
	result = pg_strdup(out->data);
	destroyPQExpBuffer(out);
	return result;
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
		name = pg_strdup(oid);
	else
		name = pg_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return name;
}

/*
 * is_number_type
 *		Whether a column of this type is read as a number.
 */
static bool
is_number_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;
}

/*
 * read_failed
 *		A failed read of the source: the server's message as the detail.
 */
static void
read_failed(const Source *src, PGresult *res)
{
	pg_log_error("could not read source %s", src->name);
	log_server_detail(src->conn, res);
	exit(EXIT_FAILURE_RUN);
}

/*
 * DescribeSource
 *		Checks the source's columns: the features by name and the target
 *		duration_seconds, numbers (or booleans for the features); run_id and
 *		started_at are read when present with a suitable type.
 */
void
DescribeSource(PGconn *conn, const char *source, const FeatureColumns *features,
			   Source *src)
{
	char	   *probe;
	PGresult   *res;
	int			run_id_col;
	int			started_col;
	int			i;

	memset(src, 0, sizeof(Source));
	src->name = source;
	src->conn = conn;
	if (is_query(source))
		src->from = psprintf("(%s) AS source", source);
	else
		src->from = quote_name(conn, source);

	probe = psprintf("SELECT * FROM %s LIMIT 0", src->from);
	res = PQexec(conn, probe);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		read_failed(src, res);
	for (i = 0; i <= NUM_FEATURES; i++)
	{
		const char *name = i < NUM_FEATURES ? features->name[i] : TARGET_COLUMN;
		char	   *quoted = quote_ident(conn, name);
		int			col = PQfnumber(res, quoted);
		Oid			type;

		pg_free(quoted);
		if (col < 0)
			pg_fatal("source %s has no column \"%s\"", source, name);
		type = PQftype(res, col);
		if (!(is_number_type(type) || (type == BOOLOID && i < NUM_FEATURES)))
			pg_fatal("column \"%s\" of source %s has type %s, not a number%s", name,
					 source, type_name(conn, type), i < NUM_FEATURES ? " or a boolean" : "");
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
	pg_free(probe);
	src->has_run_id = run_id_col >= 0;
	src->has_started_at = started_col >= 0;
	src->ncols = NUM_FEATURES + 1 + (src->has_run_id ? 1 : 0) + (src->has_started_at ? 1 : 0);
}

/*
 * StartReadingSource
 *		Starts the COPY of the source's rows, in whatever order the server
 *		sends them (dataset.c orders them).
 */
void
StartReadingSource(Source *src, const FeatureColumns *features)
{
	PQExpBuffer sql = createPQExpBuffer();
	PGresult   *res;
	int			i;

	appendPQExpBufferStr(sql, "COPY (SELECT ");
	for (i = 0; i <= NUM_FEATURES; i++)
	{
		char	   *quoted = quote_ident(src->conn,
										i < NUM_FEATURES ? features->name[i] : TARGET_COLUMN);

		appendPQExpBuffer(sql, "%s%s", i > 0 ? ", " : "", quoted);
		pg_free(quoted);
	}
	if (src->has_run_id)
		appendPQExpBufferStr(sql, ", \"run_id\"");
	if (src->has_started_at)
		appendPQExpBufferStr(sql, ", pg_catalog.date_part('epoch', \"started_at\")");
	appendPQExpBuffer(sql, " FROM %s) TO STDOUT", src->from);
	check_buffer(sql);

	res = PQexec(src->conn, sql->data);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		read_failed(src, res);
	PQclear(res);
	destroyPQExpBuffer(sql);
}

/*
 * NextSourceRow
 *		The next row as a line of COPY text (the newline removed, fields
 *		separated by tabs, \N for NULL), writable, valid until the next
 *		call; NULL after the last row.
 */
char *
NextSourceRow(Source *src)
{
	int			n;

	if (src->row != NULL)
	{
		PQfreemem(src->row);
		src->row = NULL;
	}
	n = PQgetCopyData(src->conn, &src->row, 0);
	if (n == -1)
		return NULL;
	if (n == -2)
		read_failed(src, NULL);
	if (n > 0 && src->row[n - 1] == '\n')
		src->row[n - 1] = '\0';
	return src->row;
}

/*
 * FinishReadingSource
 *		Checks that the COPY ended well.
 */
void
FinishReadingSource(Source *src)
{
	PGresult   *res = PQgetResult(src->conn);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		read_failed(src, res);
	PQclear(res);
	pg_free(src->from);
	src->from = NULL;
}

/*
 * InstallModel
 *		durpred.install_model(name, model.json, model_info.json, activate);
 *		returns the new model's id.
 */
char *
InstallModel(PGconn *conn, const char *name, const char *model, size_t model_len,
			 const char *info, bool activate)
{
	const Oid	types[4] = {TEXTOID, BYTEAOID, JSONBOID, BOOLOID};
	const char *values[4] = {name, model, info, activate ? "true" : "false"};
	const int	lengths[4] = {0, (int) model_len, 0, 0};
	const int	formats[4] = {0, 1, 0, 0};
	PGresult   *res;
	char	   *id;

	res = PQexecParams(conn,
					   "SELECT durpred.install_model($1, $2, $3, $4)",
					   4, types, values, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		pg_log_error("could not install the model as \"%s\"", name);
		log_server_detail(conn, res);
		if (state && (strcmp(state, "3F000") == 0 || strcmp(state, "42883") == 0))
			pg_log_error_hint(EXTENSION_HINT);
		exit(EXIT_FAILURE_RUN);
	}
	id = pg_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return id;
}

/*
 * RecordRunStart
 *		durpred.training_run_start(run_id, source, params, version): the
 *		run's row in durpred.training_run.  False, with a warning, where
 *		the database cannot record it (an extension older than the registry
 *		of training runs, or a role that is not durpred_admin): the run then
 *		goes on unrecorded.
 */
bool
RecordRunStart(PGconn *conn, const char *run_id, const char *source, const char *params)
{
	const Oid	types[4] = {TEXTOID, TEXTOID, JSONBOID, TEXTOID};
	const char *values[4] = {run_id, source, params, TRAINER_VERSION};
	PGresult   *res;
	bool		ok;

	res = PQexecParams(conn,
					   "SELECT durpred.training_run_start($1, $2, $3, $4)",
					   4, types, values, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
	{
		char	   *msg = server_error(conn, res);

		pg_log_warning("training run %s is not recorded: %s", run_id, msg);
		pg_log_warning_hint("Recording needs durpred 0.5.0 or later and a role granted durpred_admin.");
		pg_free(msg);
	}
	PQclear(res);
	return ok;
}

/*
 * RecordRunFinish
 *		durpred.training_run_finish: how the run ended.  Never exits: false
 *		and the server's message on failure, so that the failure path of a
 *		run (at exit) may call it.
 */
bool
RecordRunFinish(PGconn *conn, const RunRecord *rec, char **error)
{
	const Oid	types[8] = {TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	JSONBOID, JSONBOID, TEXTOID};
	const char *values[8] = {rec->run_id, rec->outcome, rec->model_id, rec->data_first,
	rec->data_last, rec->rows, rec->metrics, rec->reason};
	PGresult   *res;
	bool		ok;

	res = PQexecParams(conn,
					   "SELECT durpred.training_run_finish($1, $2, $3, $4, $5, $6, $7, $8)",
					   8, types, values, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		*error = server_error(conn, res);
	PQclear(res);
	return ok;
}

/*
 * RunCommand
 *		A command without a result (BEGIN, COMMIT), or the run fails.
 */
void
RunCommand(PGconn *conn, const char *command)
{
	PGresult   *res = PQexec(conn, command);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		pg_log_error("could not run %s", command);
		log_server_detail(conn, res);
		exit(EXIT_FAILURE_RUN);
	}
	PQclear(res);
}

/*
 * ReadActiveModel
 *		The id of the active model and a label for it ("name" version N);
 *		false when no model is active.
 */
bool
ReadActiveModel(PGconn *conn, char **id, char **label)
{
	PGresult   *res;
	bool		found;

	res = PQexec(conn,
				 "SELECT m.id, pg_catalog.format('\"%s\" version %s', m.name, m.version)"
				 " FROM durpred.models m WHERE m.active");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pg_log_error("could not read the active model");
		log_server_detail(conn, res);
		exit(EXIT_FAILURE_RUN);
	}
	found = PQntuples(res) > 0;
	if (found)
	{
		*id = pg_strdup(PQgetvalue(res, 0, 0));
		*label = pg_strdup(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return found;
}

/*
 * gate_failed
 *		ScoreWithActiveModel's failure: the server's message, the
 *		transaction rolled back (which drops the table of rows).
 */
static bool
gate_failed(PGconn *conn, PGresult *res, char **error)
{
	*error = server_error(conn, res);
	PQclear(res);
	PQclear(PQexec(conn, "ROLLBACK"));
	return false;
}

/*
 * ScoreWithActiveModel
 *		The active model's predictions for the given rows of the dataset,
 *		computed by the server as durpred.predict_duration does for any
 *		row, so that the gate judges the model that serves with the
 *		server's own scoring of it (its feature names, its defaults, the
 *		clamp at 0).  The rows go into a temporary table as the float32
 *		values the candidate saw (printed so that they read back exactly;
 *		NULL for missing), which the transaction drops.  False, with the
 *		reason, when the model cannot score them or is no longer
 *		active_id.
 */
bool
ScoreWithActiveModel(PGconn *conn, const Dataset *data, const size_t *rows, size_t n,
					 const char *active_id, double *pred, char **error)
{
	PQExpBuffer sql = createPQExpBuffer();
	PGresult   *res;
	char		line[NUM_FEATURES * 20 + 64];
	size_t		i;
	int			f;

	res = PQexec(conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return gate_failed(conn, res, error);
	PQclear(res);
	/* the session scores with the active model, whatever PGOPTIONS says */
	res = PQexec(conn, "SELECT pg_catalog.set_config('durpred.model', '', true)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return gate_failed(conn, res, error);
	PQclear(res);

	appendPQExpBufferStr(sql, "CREATE TEMPORARY TABLE durpred_gate (durpred_gate_row pg_catalog.int8");
	for (f = 0; f < NUM_FEATURES; f++)
	{
		char	   *quoted = quote_ident(conn, data->features->name[f]);

		appendPQExpBuffer(sql, ", %s pg_catalog.float8", quoted);
		pg_free(quoted);
	}
	appendPQExpBufferStr(sql, ") ON COMMIT DROP");
	check_buffer(sql);
	res = PQexec(conn, sql->data);
	destroyPQExpBuffer(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return gate_failed(conn, res, error);
	PQclear(res);

	res = PQexec(conn, "COPY pg_temp.durpred_gate FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return gate_failed(conn, res, error);
	PQclear(res);
	for (i = 0; i < n; i++)
	{
		const float *x = data->x + rows[i] * NUM_FEATURES;
		int			len = snprintf(line, sizeof(line), "%zu", i);

		for (f = 0; f < NUM_FEATURES; f++)
		{
			if (isnan(x[f]))
				len += snprintf(line + len, sizeof(line) - len, "\t\\N");
			else
				len += snprintf(line + len, sizeof(line) - len, "\t%.9g", (double) x[f]);
		}
		line[len++] = '\n';
		if (PQputCopyData(conn, line, len) != 1)
			return gate_failed(conn, NULL, error);
	}
	if (PQputCopyEnd(conn, NULL) != 1)
		return gate_failed(conn, NULL, error);
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return gate_failed(conn, res, error);
	PQclear(res);

	res = PQexec(conn,
				 "SELECT durpred.current_model_id()::pg_catalog.text,"
				 " durpred.predict_duration(g)"
				 " FROM pg_temp.durpred_gate g ORDER BY g.durpred_gate_row");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return gate_failed(conn, res, error);
	if ((size_t) PQntuples(res) != n)
	{
		*error = pg_strdup("the server returned another number of rows");
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return false;
	}
	for (i = 0; i < n; i++)
	{
		if (strcmp(PQgetvalue(res, (int) i, 0), active_id) != 0)
		{
			*error = psprintf("the active model changed from %s to %s while it was scored",
							  active_id, PQgetvalue(res, (int) i, 0));
			PQclear(res);
			PQclear(PQexec(conn, "ROLLBACK"));
			return false;
		}
		pred[i] = PQgetisnull(res, (int) i, 1) ? NAN : strtod(PQgetvalue(res, (int) i, 1), NULL);
	}
	PQclear(res);
	PQclear(PQexec(conn, "ROLLBACK"));
	return true;
}

/*
 * PromoteModel
 *		durpred.promote_model(id, replacing): activates the model only while
 *		the active model is still replacing (NULL: none); whether it did.
 */
bool
PromoteModel(PGconn *conn, const char *id, const char *replacing)
{
	const Oid	types[2] = {INT8OID, INT8OID};
	const char *values[2] = {id, replacing};
	PGresult   *res;
	bool		promoted;

	res = PQexecParams(conn, "SELECT durpred.promote_model($1, $2)",
					   2, types, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pg_log_error("could not activate model %s", id);
		log_server_detail(conn, res);
		exit(EXIT_FAILURE_RUN);
	}
	promoted = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return promoted;
}
