/*-------------------------------------------------------------------------
 *
 * src/features/timing.c
 *		durpred.timing_features(at): the five timing features of an instant,
 *		in UTC, for the extraction scripts.
 *
 * The reference service reads the hour, the day of the week (0 = Sunday)
 * and the month of a run's start in UTC; a weekend is Saturday or Sunday,
 * business hours are a weekday from 9:00 to 16:59.  date_part over
 * AT TIME ZONE 'UTC' gives the same numbers, but parses its unit and zone
 * names on every call: the serving trigger computes them for every new run,
 * and eight such calls cost more than the page's block counts.  Here one
 * call breaks the instant down once, as date_part does (pg_mirror.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "utils/timestamp.h"

#include "calls.h"
#include "durpred.h"
#include "features/pg_mirror.h"
#include "features/timing.h"

DURPRED_EXPORT PG_FUNCTION_INFO_V1(durpred_timing_features);

/*
 * business hours: a weekday, FIRST_BUSINESS_HOUR <= hour < END_BUSINESS_HOUR
 * (keep in sync with the comment on durpred.timing_features in
 * sql/durpred--0.1.0--0.2.0.sql)
 */
#define FIRST_BUSINESS_HOUR 9
#define END_BUSINESS_HOUR 17

/*
 * TimingFields
 *		See timing.h.
 */
void
TimingFields(TimestampTz at, Datum *values, bool *nulls)
{
	int			hour;
	int			dow;
	int			month;
	bool		finite = MirrorUtcFields(at, &hour, &dow, &month);
	int			i;

	for (i = 0; i < TIMING_FIELDS; i++)
		nulls[i] = !finite;
	if (!finite)
		return;

	values[0] = Int32GetDatum(hour);
	values[1] = Int32GetDatum(dow);
	values[2] = Int32GetDatum(month);
	values[3] = BoolGetDatum(dow == 0 || dow == 6);
	values[4] = BoolGetDatum(dow >= 1 && dow <= 5 &&
							 hour >= FIRST_BUSINESS_HOUR &&
							 hour < END_BUSINESS_HOUR);
}

/*
 * durpred_timing_features
 *		(start_hour, day_of_week, month, is_weekend, is_business_hours) of a
 *		timestamptz in UTC.  An infinite instant has no hour, day or month:
 *		every field is NULL, as date_part gives them.
 */
Datum
durpred_timing_features(PG_FUNCTION_ARGS)
{
	TupleDesc	desc = CallResultDesc(fcinfo, &fcinfo->flinfo->fn_extra);
	Datum		values[TIMING_FIELDS];
	bool		nulls[TIMING_FIELDS];

	TimingFields(PG_GETARG_TIMESTAMPTZ(0), values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
