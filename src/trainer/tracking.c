/*-------------------------------------------------------------------------
 *
 * src/trainer/tracking.c
 *		The record of a training run in durpred.training_run: its start,
 *		how it ended, and a failure wherever it happens.
 *
 * A run is recorded when it starts (TrackRunStart) and finished with its
 * outcome (TrackRunFinish).  Errors end the program from wherever they
 * happen (pg_fatal, exit), so a failure is recorded at exit: a handler
 * registered with atexit finishes a run that was started and not finished
 * as "failed", with the last error message as the reason, through a new
 * connection (the old one may be lost, or in the middle of a COPY).  To
 * have that message, stderr is a stream that writes to file descriptor 2
 * as before and keeps the last bytes written (CaptureMessages).  A run that
 * cannot be recorded is not an error: it goes on with a warning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <unistd.h>

#include "common/fe_memutils.h"
#include "common/logging.h"
#include "pqexpbuffer.h"

#include "db.h"
#include "trainer.h"

#define CAPTURE_SIZE 8192

static char captured[CAPTURE_SIZE];
static size_t captured_len = 0;
static const char *capture_progname = "durpred-train";

/* the run being tracked */
static struct
{
	bool		armed;			/* started and recorded, not finished */
	const Options *opts;
	const char *run_id;
	char	   *model_id;		/* installed, or NULL */
}			run;

/*
 * tee_write
 *		The stream's write function: everything to file descriptor 2, and
 *		the tail into captured.
 */
static ssize_t
tee_write(void *cookie pg_attribute_unused(), const char *buf, size_t size)
{
	size_t		done = 0;

	while (done < size)
	{
		ssize_t		n = write(STDERR_FILENO, buf + done, size - done);

		if (n <= 0)
			break;
		done += (size_t) n;
	}
	if (size >= CAPTURE_SIZE)
	{
		memcpy(captured, buf + size - CAPTURE_SIZE + 1, CAPTURE_SIZE - 1);
		captured_len = CAPTURE_SIZE - 1;
	}
	else
	{
		if (captured_len + size >= CAPTURE_SIZE)
		{
			size_t		drop = captured_len + size - (CAPTURE_SIZE - 1);

			memmove(captured, captured + drop, captured_len - drop);
			captured_len -= drop;
		}
		memcpy(captured + captured_len, buf, size);
		captured_len += size;
	}
	captured[captured_len] = '\0';
	return (ssize_t) size;
}

/*
 * CaptureMessages
 *		Makes stderr a stream that also keeps what is written to it.  Call
 *		after pg_logging_init, which looks at the real stderr.
 */
void
CaptureMessages(const char *progname)
{
	cookie_io_functions_t io = {.write = tee_write};
	FILE	   *tee = fopencookie(NULL, "w", io);

	capture_progname = progname;
	if (tee == NULL)
		return;					/* messages then go on uncaptured */
	setvbuf(tee, NULL, _IONBF, 0);
	fflush(stderr);
	stderr = tee;
}

/*
 * last_error
 *		The last error message written, its detail and hint lines joined
 *		to it, without the program's name; NULL when there is none.
 */
static char *
last_error(void)
{
	char		marker[128];
	char	   *start = NULL;
	char	   *p;
	PQExpBufferData buf;

	snprintf(marker, sizeof(marker), "%s: error: ", capture_progname);
	for (p = strstr(captured, marker); p != NULL; p = strstr(p + 1, marker))
		start = p;
	if (start == NULL)
		return NULL;
	initPQExpBuffer(&buf);
	start += strlen(marker);
	for (;;)
	{
		size_t		len = strcspn(start, "\n");
		char		prefix[128];
		char	   *next;

		appendBinaryPQExpBuffer(&buf, start, len);
		if (start[len] == '\0')
			break;
		next = start + len + 1;
		/* a detail or hint line continues the message; anything else ends it */
		snprintf(prefix, sizeof(prefix), "%s: detail: ", capture_progname);
		if (strncmp(next, prefix, strlen(prefix)) != 0)
		{
			snprintf(prefix, sizeof(prefix), "%s: hint: ", capture_progname);
			if (strncmp(next, prefix, strlen(prefix)) != 0)
				break;
		}
		appendPQExpBufferStr(&buf, strstr(prefix, ": detail: ") ? ": " : ". ");
		start = next + strlen(prefix);
	}
	return buf.data;
}

/*
 * record_failure
 *		The atexit handler: a run started and not finished failed.  It
 *		never exits (exit from an atexit handler is undefined).
 */
static void
record_failure(void)
{
	RunRecord	rec = {0};
	char	   *error = NULL;
	PGconn	   *conn;

	if (!run.armed)
		return;
	run.armed = false;
	rec.run_id = run.run_id;
	rec.outcome = "failed";
	rec.model_id = run.model_id;
	rec.reason = last_error();
	if (rec.reason == NULL)
		rec.reason = "durpred-train stopped before the run finished";

	conn = TryConnectDatabase(run.opts, capture_progname, &error);
	if (conn != NULL && RecordRunFinish(conn, &rec, &error))
		pg_log_info("training run %s is recorded as failed", run.run_id);
	else
		pg_log_error("could not record the failure of training run %s: %s",
					 run.run_id, error);
	if (conn != NULL)
		PQfinish(conn);
}

/*
 * TrackRunStart
 *		Records the run's start; from then on, an exit before
 *		TrackRunFinish records it as failed.
 */
void
TrackRunStart(PGconn *conn, const Options *opts, const char *run_id)
{
	static bool registered = false;
	json_t	   *params = ParamsObject(opts);
	char	   *text = json_dumps(params, JSON_COMPACT);

	json_decref(params);
	if (text == NULL)
		pg_fatal("out of memory");
	if (!RecordRunStart(conn, run_id, opts->source, text))
	{
		free(text);
		return;
	}
	free(text);
	run.opts = opts;
	run.run_id = run_id;
	run.armed = true;
	if (!registered)
	{
		atexit(record_failure);
		registered = true;
	}
}

/*
 * TrackRunModel
 *		The model the run installed, for its record whatever happens next.
 */
void
TrackRunModel(const char *model_id)
{
	run.model_id = pg_strdup(model_id);
}

/*
 * json_text
 *		A JSON value as compact text, NULL for none.
 */
static char *
json_text(json_t *value)
{
	if (value == NULL || json_is_null(value))
		return NULL;
	if (json_is_string(value))
		return pg_strdup(json_string_value(value));
	return json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * TrackRunFinish
 *		Records how the run ended: outcome, the model it installed, and
 *		from model_info.json (info) the data window, the rows of each
 *		split, and the metrics of every candidate per split, with the
 *		promotion gate's figures when there are any.  A record that fails
 *		is a warning.
 */
void
TrackRunFinish(PGconn *conn, const char *outcome, const char *info, json_t *gate,
			   const char *reason)
{
	json_error_t jerr;
	json_t	   *doc = json_loads(info, 0, &jerr);
	json_t	   *data = json_object_get(doc, "data");
	json_t	   *split = json_object_get(doc, "split");
	json_t	   *rows = json_object();
	json_t	   *metrics = json_object();
	RunRecord	rec = {0};
	char	   *error = NULL;

	if (!run.armed)
		return;
	run.armed = false;

	json_object_set(rows, "read", json_object_get(data, "rows_read"));
	json_object_set(rows, "used", json_object_get(data, "rows"));
	json_object_set(rows, "train", json_object_get(split, "train"));
	json_object_set(rows, "val", json_object_get(split, "val"));
	json_object_set(rows, "test", json_object_get(split, "test"));
	json_object_set(rows, "excluded", json_object_get(data, "excluded"));
	json_object_set(rows, "split", json_object_get(split, "method"));
	json_object_set(metrics, "model", json_object_get(doc, "metrics"));
	json_object_set(metrics, "comparison", json_object_get(doc, "comparison"));
	json_object_set(metrics, "best_iteration",
					json_object_get(json_object_get(doc, "run"), "best_iteration"));
	if (gate != NULL)
		json_object_set(metrics, "gate", gate);

	rec.run_id = run.run_id;
	rec.outcome = outcome;
	rec.model_id = run.model_id;
	rec.data_first = json_text(json_object_get(data, "started_at_min"));
	rec.data_last = json_text(json_object_get(data, "started_at_max"));
	rec.rows = json_text(rows);
	rec.metrics = json_text(metrics);
	rec.reason = reason;
	if (!RecordRunFinish(conn, &rec, &error))
		pg_log_warning("could not record the end of training run %s: %s", run.run_id, error);
	json_decref(rows);
	json_decref(metrics);
	json_decref(doc);
}
