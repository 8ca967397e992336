/*-------------------------------------------------------------------------
 *
 * src/modeldoc.h
 *		A small document model for XGBoost model files: JSON and UBJSON are
 *		read into the same tree of values, and UBJSON is written back.
 *
 * Numbers follow XGBoost's own reader: a JSON number with a fraction or an
 * exponent is a float32 (parsed with correct rounding), one without is an
 * int64; UBJSON keeps its typed markers' meaning.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_MODELDOC_H
#define DURPRED_MODELDOC_H

#include "lib/stringinfo.h"

typedef enum DocKind
{
	DOC_NULL = 0,
	DOC_FALSE,
	DOC_TRUE,
	DOC_INT,					/* u.i */
	DOC_FLOAT,					/* u.f (a float32 or float64 value) */
	DOC_STRING,					/* u.s, len bytes, not NUL-terminated */
	DOC_ARRAY,					/* u.items, len values */
	DOC_OBJECT					/* u.members, len members, keys unique */
} DocKind;

typedef struct DocMember DocMember;
typedef struct DocValue DocValue;

struct DocValue
{
	uint8		kind;			/* a DocKind */
	char		typed;			/* DOC_ARRAY: UBJSON element marker of a typed
								 * numeric array kept as raw bytes, else 0 */
	int32		len;
	union
	{
		int64		i;
		double		f;
		const char *s;
		DocValue   *items;
		DocMember  *members;
		const char *raw;		/* typed array: len big-endian elements */
	}			u;
};

struct DocMember
{
	const char *key;
	int32		keylen;
	DocValue	value;
};

/*
 * Parses a whole JSON or UBJSON document (told apart by the byte after the
 * opening brace).  Raises errcode on any malformed input: truncation,
 * nesting deeper than the limit, length prefixes beyond the input, invalid
 * escapes, duplicate keys, trailing bytes.  All memory is allocated in the
 * current memory context.
 */
extern DocValue *DocParse(const char *data, size_t len, int errcode,
						  bool *is_ubjson);

/*
 * Element i of an array.  A typed numeric array (UBJSON "[$d#...") is not
 * expanded when parsed: its element is decoded into *scratch on access.
 */
extern const DocValue *DocArrayItem(const DocValue *array, int32 i,
									DocValue *scratch);

/* Member lookup in an object; NULL when absent or not an object. */
extern const DocValue *DocGet(const DocValue *object, const char *key);

/* Whether a string value equals a C string. */
extern bool DocStringEquals(const DocValue *value, const char *str);

/* A string value as a palloc'd C string (NUL bytes refused by the parser). */
extern char *DocStringDup(const DocValue *value);

/* A name of kind for messages: "an object", "a string", ... */
extern const char *DocKindName(const DocValue *value);

/*
 * UBJSON writing, as XGBoost reads it: keys without the 'S' marker, numbers
 * big-endian, typed arrays with '$' and '#'.
 */
extern void UbjBeginObject(StringInfo out);
extern void UbjEndObject(StringInfo out);
extern void UbjBeginArray(StringInfo out);
extern void UbjEndArray(StringInfo out);
extern void UbjKey(StringInfo out, const char *key);
extern void UbjString(StringInfo out, const char *str, int len);
extern void UbjInt64(StringInfo out, int64 value);
extern void UbjFloat32Array(StringInfo out, const float *values, int n);
extern void UbjInt32Array(StringInfo out, const int32 *values, int n);
extern void UbjUInt8Array(StringInfo out, const uint8 *values, int n);

#endif							/* DURPRED_MODELDOC_H */
