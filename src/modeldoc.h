/*-------------------------------------------------------------------------
 *
 * src/modeldoc.h
 *		A small document model for XGBoost model files: JSON and UBJSON are
 *		read into the same compact encoding, and UBJSON is written back.
 *
 * Numbers follow XGBoost's own reader: a JSON number with a fraction or an
 * exponent is a float32 (parsed with correct rounding), one without is an
 * int64; UBJSON keeps its typed markers' meaning.
 *
 * Memory: a parsed document is one buffer of at most about 1.5 bytes per
 * byte of input (modeldoc.c says why), whatever the input holds; values
 * are decoded from it into a DocValue on the caller's stack when they are
 * read.  Typed UBJSON arrays stay in the input.
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
	DOC_ARRAY,					/* len values from u.body, or u.raw */
	DOC_OBJECT					/* len members from u.body, keys unique */
} DocKind;

/*
 * One value, as read from a document.  It points into the document (and
 * its input), which must outlive it.
 */
typedef struct DocValue
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
		const char *body;		/* array or object: its encoded elements */
		const char *raw;		/* typed array: len big-endian elements */
	}			u;
} DocValue;

/* A parsed document: its top-level object and the buffer that holds it. */
typedef struct Doc
{
	DocValue	root;
	bool		is_ubjson;		/* format of the input */
	char	   *encoded;		/* the compact encoding of the values */
	Size		encoded_len;
} Doc;

/*
 * Walks the elements of an array or the members of an object, in document
 * order.
 */
typedef struct DocIter
{
	const DocValue *container;
	int32		index;
	const char *pos;
} DocIter;

/*
 * Parses a whole JSON or UBJSON document (told apart by the byte after the
 * opening brace).  Raises errcode on any malformed input: truncation,
 * nesting deeper than the limit, length prefixes beyond the input, invalid
 * escapes, duplicate keys, trailing bytes.  All memory is allocated in the
 * current memory context; the document points into data, which must
 * outlive it.
 */
extern Doc *DocParse(const char *data, size_t len, int errcode);

/* Frees a document's encoding (values read from it become invalid). */
extern void DocFree(Doc *doc);

/* Starts a walk over an array or an object. */
extern void DocIterInit(DocIter *it, const DocValue *container);

/*
 * The next element of an array, or member of an object (then *key and
 * *keylen are set, when key is not NULL); false at the end.
 */
extern bool DocIterNext(DocIter *it, DocValue *value, const char **key,
						int32 *keylen);

/*
 * Member lookup in an object: fills *out and returns it, or returns NULL
 * when the key is absent or object is not an object.
 */
extern const DocValue *DocGet(const DocValue *object, const char *key,
							  DocValue *out);

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
