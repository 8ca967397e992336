/*-------------------------------------------------------------------------
 *
 * src/modeldoc.c
 *		Reading JSON and UBJSON model files into a DocValue tree, and writing
 *		UBJSON.
 *
 * The readers are strict and bounded: every length prefix is checked
 * against the bytes that remain, nesting is limited, and nothing is read
 * past the end of the input, so that hostile bytes end in an error and never
 * in a crash or a huge allocation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"

#include "modeldoc.h"

/* XGBoost models nest about eight levels deep. */
#define DOC_MAX_DEPTH 64

/* Longest number literal accepted in JSON. */
#define DOC_MAX_NUMBER_LEN 64

typedef struct DocReader
{
	const char *start;
	const char *p;
	const char *end;
	int			depth;
	int			errcode;
} DocReader;

static void JsonValue(DocReader *r, DocValue *out);
static void UbjValue(DocReader *r, char marker, DocValue *out);

/*
 * DocError
 *		Raises the reader's error code with the offset of the problem.
 */
static void
pg_attribute_noreturn()
DocError(DocReader *r, const char *what)
{
	ereport(ERROR,
			(errcode(r->errcode),
			 errmsg("invalid model file: %s at byte %ld", what,
					(long) (r->p - r->start))));
}

/*
 * DocEnter / DocLeave
 *		Bound the nesting depth of containers.
 */
static void
DocEnter(DocReader *r)
{
	if (++r->depth > DOC_MAX_DEPTH)
		DocError(r, "nesting too deep");
	check_stack_depth();
	/* a model of many megabytes takes a while: let it be cancelled */
	CHECK_FOR_INTERRUPTS();
}

static void
DocLeave(DocReader *r)
{
	r->depth--;
}

/*
 * ValueArray
 *		A growable array of values while a container is read.
 */
typedef struct ValueArray
{
	DocValue   *items;
	int32		n;
	int32		cap;
} ValueArray;

static DocValue *
ValueArrayPush(DocReader *r, ValueArray *a)
{
	if (a->n == a->cap)
	{
		Size		cap = a->cap == 0 ? 8 : (Size) a->cap * 2;

		if (cap > PG_INT32_MAX || cap > MaxAllocHugeSize / sizeof(DocValue))
			DocError(r, "array too long");
		a->items = a->items == NULL
			? MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(DocValue))
			: repalloc_huge(a->items, cap * sizeof(DocValue));
		a->cap = (int32) cap;
	}
	return &a->items[a->n++];
}

typedef struct MemberArray
{
	DocMember  *members;
	int32		n;
	int32		cap;
} MemberArray;

static DocMember *
MemberArrayPush(DocReader *r, MemberArray *a)
{
	if (a->n == a->cap)
	{
		Size		cap = a->cap == 0 ? 8 : (Size) a->cap * 2;

		if (cap > PG_INT32_MAX || cap > MaxAllocHugeSize / sizeof(DocMember))
			DocError(r, "object too large");
		a->members = a->members == NULL
			? MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(DocMember))
			: repalloc_huge(a->members, cap * sizeof(DocMember));
		a->cap = (int32) cap;
	}
	return &a->members[a->n++];
}

/*
 * CompareMembers
 *		qsort comparator of object members by key bytes.
 */
static int
CompareMembers(const void *a, const void *b)
{
	const DocMember *ma = *(const DocMember *const *) a;
	const DocMember *mb = *(const DocMember *const *) b;
	int			cmp = memcmp(ma->key, mb->key, Min(ma->keylen, mb->keylen));

	if (cmp != 0)
		return cmp;
	return (ma->keylen > mb->keylen) - (ma->keylen < mb->keylen);
}

/*
 * CheckUniqueKeys
 *		Refuses an object with a key given twice: readers disagree on which
 *		one wins, and the model must mean one thing.
 */
static void
CheckUniqueKeys(DocReader *r, DocMember *members, int32 n)
{
	DocMember **sorted;
	int32		i;

	if (n < 2)
		return;
	sorted = palloc(n * sizeof(DocMember *));
	for (i = 0; i < n; i++)
		sorted[i] = &members[i];
	qsort(sorted, n, sizeof(DocMember *), CompareMembers);
	for (i = 1; i < n; i++)
	{
		if (CompareMembers(&sorted[i - 1], &sorted[i]) == 0)
			DocError(r, "duplicate object key");
	}
	pfree(sorted);
}

/* ---------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------
 */

static void
JsonSkipSpace(DocReader *r)
{
	while (r->p < r->end &&
		   (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

/*
 * JsonLiteral
 *		Consumes an exact keyword (true, false, null, NaN, Infinity).
 */
static bool
JsonLiteral(DocReader *r, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (r->end - r->p) >= n && memcmp(r->p, word, n) == 0)
	{
		r->p += n;
		return true;
	}
	return false;
}

/*
 * JsonHex4
 *		Reads the four hex digits of a \u escape.
 */
static int
JsonHex4(DocReader *r)
{
	int			v = 0;
	int			i;

	if (r->end - r->p < 4)
		DocError(r, "truncated \\u escape");
	for (i = 0; i < 4; i++)
	{
		char		c = *r->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			DocError(r, "invalid \\u escape");
	}
	return v;
}

/*
 * JsonString
 *		Reads a string after its opening quote, decoding escapes to UTF-8.
 */
static void
JsonString(DocReader *r, const char **str, int32 *len)
{
	const char *q = r->p;
	char	   *buf;
	char	   *w;

	/* fast path: no escapes */
	while (q < r->end && *q != '"' && *q != '\\' && (unsigned char) *q >= 0x20)
		q++;
	if (q < r->end && *q == '"')
	{
		if (q - r->p > PG_INT32_MAX)
			DocError(r, "string too long");
		*str = r->p;
		*len = (int32) (q - r->p);
		r->p = q + 1;
		return;
	}

	/* find the closing quote: decoded text is never longer than that */
	while (q < r->end && *q != '"')
		q += (*q == '\\') ? 2 : 1;
	if (q >= r->end)
		DocError(r, "unterminated string");
	buf = w = MemoryContextAllocHuge(CurrentMemoryContext, (q - r->p) + 1);
	for (;;)
	{
		unsigned char c;

		if (r->p >= r->end)
			DocError(r, "unterminated string");
		c = (unsigned char) *r->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			DocError(r, "control character in string");
		if (c != '\\')
		{
			*w++ = (char) c;
			continue;
		}
		if (r->p >= r->end)
			DocError(r, "unterminated string");
		c = (unsigned char) *r->p++;
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				*w++ = (char) c;
				break;
			case 'b':
				*w++ = '\b';
				break;
			case 'f':
				*w++ = '\f';
				break;
			case 'n':
				*w++ = '\n';
				break;
			case 'r':
				*w++ = '\r';
				break;
			case 't':
				*w++ = '\t';
				break;
			case 'u':
				{
					int32		cp = JsonHex4(r);

					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						int32		lo;

						if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
							DocError(r, "unpaired surrogate in \\u escape");
						r->p += 2;
						lo = JsonHex4(r);
						if (lo < 0xDC00 || lo > 0xDFFF)
							DocError(r, "unpaired surrogate in \\u escape");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						DocError(r, "unpaired surrogate in \\u escape");
					if (cp == 0)
						DocError(r, "NUL character in string");
					if (cp < 0x80)
						*w++ = (char) cp;
					else if (cp < 0x800)
					{
						*w++ = (char) (0xC0 | (cp >> 6));
						*w++ = (char) (0x80 | (cp & 0x3F));
					}
					else if (cp < 0x10000)
					{
						*w++ = (char) (0xE0 | (cp >> 12));
						*w++ = (char) (0x80 | ((cp >> 6) & 0x3F));
						*w++ = (char) (0x80 | (cp & 0x3F));
					}
					else
					{
						*w++ = (char) (0xF0 | (cp >> 18));
						*w++ = (char) (0x80 | ((cp >> 12) & 0x3F));
						*w++ = (char) (0x80 | ((cp >> 6) & 0x3F));
						*w++ = (char) (0x80 | (cp & 0x3F));
					}
					break;
				}
			default:
				DocError(r, "invalid escape in string");
		}
	}
	if (w - buf > PG_INT32_MAX)
		DocError(r, "string too long");
	*str = buf;
	*len = (int32) (w - buf);
}

/*
 * JsonNumber
 *		Reads a number with JSON's grammar: an integer literal becomes an
 *		int64, one with a fraction or exponent a float32 (strtof rounds
 *		correctly, as XGBoost's reader does).
 */
static void
JsonNumber(DocReader *r, DocValue *out)
{
	const char *s = r->p;
	bool		is_float = false;
	char		buf[DOC_MAX_NUMBER_LEN + 1];
	char	   *endp;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
	{
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	else
		DocError(r, "invalid number");
	if (r->p < r->end && *r->p == '.')
	{
		is_float = true;
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			DocError(r, "invalid number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
	{
		is_float = true;
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			DocError(r, "invalid number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p - s > DOC_MAX_NUMBER_LEN)
		DocError(r, "number literal too long");
	memcpy(buf, s, r->p - s);
	buf[r->p - s] = '\0';

	errno = 0;
	if (is_float)
	{
		out->kind = DOC_FLOAT;
		out->u.f = strtof(buf, &endp);
	}
	else
	{
		out->kind = DOC_INT;
		out->u.i = strtoll(buf, &endp, 10);
		if (errno == ERANGE)
			DocError(r, "integer out of range");
	}
}

/*
 * JsonValue
 *		Reads one JSON value at the reader's position.
 */
static void
JsonValue(DocReader *r, DocValue *out)
{
	JsonSkipSpace(r);
	if (r->p >= r->end)
		DocError(r, "unexpected end of input");

	memset(out, 0, sizeof(DocValue));
	switch (*r->p)
	{
		case '{':
			{
				MemberArray members = {0};

				r->p++;
				DocEnter(r);
				JsonSkipSpace(r);
				if (r->p < r->end && *r->p == '}')
					r->p++;
				else
				{
					for (;;)
					{
						DocMember  *m;

						JsonSkipSpace(r);
						if (r->p >= r->end || *r->p != '"')
							DocError(r, "expected an object key");
						r->p++;
						m = MemberArrayPush(r, &members);
						JsonString(r, &m->key, &m->keylen);
						JsonSkipSpace(r);
						if (r->p >= r->end || *r->p != ':')
							DocError(r, "expected ':'");
						r->p++;
						JsonValue(r, &m->value);
						JsonSkipSpace(r);
						if (r->p < r->end && *r->p == ',')
						{
							r->p++;
							continue;
						}
						if (r->p < r->end && *r->p == '}')
						{
							r->p++;
							break;
						}
						DocError(r, "expected ',' or '}'");
					}
				}
				DocLeave(r);
				CheckUniqueKeys(r, members.members, members.n);
				out->kind = DOC_OBJECT;
				out->len = members.n;
				out->u.members = members.members;
				return;
			}
		case '[':
			{
				ValueArray	items = {0};

				r->p++;
				DocEnter(r);
				JsonSkipSpace(r);
				if (r->p < r->end && *r->p == ']')
					r->p++;
				else
				{
					for (;;)
					{
						JsonValue(r, ValueArrayPush(r, &items));
						JsonSkipSpace(r);
						if (r->p < r->end && *r->p == ',')
						{
							r->p++;
							continue;
						}
						if (r->p < r->end && *r->p == ']')
						{
							r->p++;
							break;
						}
						DocError(r, "expected ',' or ']'");
					}
				}
				DocLeave(r);
				out->kind = DOC_ARRAY;
				out->len = items.n;
				out->u.items = items.items;
				return;
			}
		case '"':
			r->p++;
			out->kind = DOC_STRING;
			JsonString(r, &out->u.s, &out->len);
			return;
		default:
			break;
	}

	if (JsonLiteral(r, "true"))
		out->kind = DOC_TRUE;
	else if (JsonLiteral(r, "false"))
		out->kind = DOC_FALSE;
	else if (JsonLiteral(r, "null"))
		out->kind = DOC_NULL;
	/* XGBoost writes non-finite floats as these words */
	else if (JsonLiteral(r, "NaN"))
	{
		out->kind = DOC_FLOAT;
		out->u.f = NAN;
	}
	else if (JsonLiteral(r, "Infinity"))
	{
		out->kind = DOC_FLOAT;
		out->u.f = INFINITY;
	}
	else if (JsonLiteral(r, "-Infinity"))
	{
		out->kind = DOC_FLOAT;
		out->u.f = -INFINITY;
	}
	else
		JsonNumber(r, out);
}

/* ---------------------------------------------------------------------
 * UBJSON
 * ---------------------------------------------------------------------
 */

/*
 * UbjNeed
 *		Refuses to read n bytes that are not there.
 */
static inline void
UbjNeed(DocReader *r, size_t n)
{
	if ((size_t) (r->end - r->p) < n)
		DocError(r, "unexpected end of input");
}

static char
UbjMarker(DocReader *r)
{
	UbjNeed(r, 1);
	return *r->p++;
}

/*
 * UbjReadInteger
 *		Reads a big-endian integer of a marker's width.
 */
static bool
UbjReadInteger(DocReader *r, char marker, int64 *out)
{
	switch (marker)
	{
		case 'i':
			UbjNeed(r, 1);
			*out = (int8) r->p[0];
			r->p += 1;
			return true;
		case 'U':
			UbjNeed(r, 1);
			*out = (uint8) r->p[0];
			r->p += 1;
			return true;
		case 'I':
			{
				uint16		v;

				UbjNeed(r, 2);
				memcpy(&v, r->p, 2);
				*out = (int16) pg_ntoh16(v);
				r->p += 2;
				return true;
			}
		case 'l':
			{
				uint32		v;

				UbjNeed(r, 4);
				memcpy(&v, r->p, 4);
				*out = (int32) pg_ntoh32(v);
				r->p += 4;
				return true;
			}
		case 'L':
			{
				uint64		v;

				UbjNeed(r, 8);
				memcpy(&v, r->p, 8);
				*out = (int64) pg_ntoh64(v);
				r->p += 8;
				return true;
			}
		default:
			return false;
	}
}

/*
 * UbjLength
 *		Reads a length or count: an integer, not negative, at most limit.
 */
static int32
UbjLength(DocReader *r, size_t limit)
{
	int64		n;

	if (!UbjReadInteger(r, UbjMarker(r), &n))
		DocError(r, "expected an integer length");
	if (n < 0)
		DocError(r, "negative length");
	if ((uint64) n > limit || n > PG_INT32_MAX)
		DocError(r, "length prefix beyond the end of input");
	return (int32) n;
}

/*
 * UbjFixedSize
 *		The payload size of a typed-array element, 0 for variable size.
 */
static int
UbjFixedSize(char marker)
{
	switch (marker)
	{
		case 'i':
		case 'U':
			return 1;
		case 'I':
			return 2;
		case 'l':
		case 'd':
			return 4;
		case 'L':
		case 'D':
			return 8;
		default:
			return 0;
	}
}

/*
 * UbjStringBody
 *		Reads a length-prefixed string (after the 'S' marker, or an object
 *		key); the value points into the input.
 */
static void
UbjStringBody(DocReader *r, const char **str, int32 *len)
{
	int32		n = UbjLength(r, r->end - r->p);

	if (memchr(r->p, '\0', n) != NULL)
		DocError(r, "NUL character in string");
	*str = r->p;
	*len = n;
	r->p += n;
}

/*
 * UbjContainerHeader
 *		Reads the optional '$' type and '#' count after '[' or '{'.
 *		Returns the count, or -1 when the container ends with a marker.
 */
static int32
UbjContainerHeader(DocReader *r, char *type, bool is_object)
{
	*type = 0;
	if (r->p < r->end && *r->p == '$')
	{
		r->p++;
		*type = UbjMarker(r);
		if (strchr("iUIlLdDS[{", *type) == NULL)
			DocError(r, "unsupported type of a typed container");
		UbjNeed(r, 1);
		if (*r->p != '#')
			DocError(r, "typed container without a count");
	}
	if (r->p < r->end && *r->p == '#')
	{
		int			size = *type ? UbjFixedSize(*type) : 0;
		size_t		remaining;
		int32		n;

		r->p++;
		/* each element takes at least one byte (a key's length at least 1) */
		n = UbjLength(r, r->end - r->p);
		remaining = r->end - r->p;
		if (size > 0 && !is_object && (size_t) n * size > remaining)
			DocError(r, "length prefix beyond the end of input");
		return n;
	}
	return -1;
}

/*
 * UbjTypedNumber
 *		Reads a number of a known marker into a value.
 */
static bool
UbjNumber(DocReader *r, char marker, DocValue *out)
{
	if (UbjReadInteger(r, marker, &out->u.i))
	{
		out->kind = DOC_INT;
		return true;
	}
	if (marker == 'd')
	{
		uint32		bits;
		float		f;

		UbjNeed(r, 4);
		memcpy(&bits, r->p, 4);
		bits = pg_ntoh32(bits);
		memcpy(&f, &bits, 4);
		r->p += 4;
		out->kind = DOC_FLOAT;
		out->u.f = f;
		return true;
	}
	if (marker == 'D')
	{
		uint64		bits;
		double		d;

		UbjNeed(r, 8);
		memcpy(&bits, r->p, 8);
		bits = pg_ntoh64(bits);
		memcpy(&d, &bits, 8);
		r->p += 8;
		out->kind = DOC_FLOAT;
		out->u.f = d;
		return true;
	}
	return false;
}

/*
 * UbjValue
 *		Reads one UBJSON value whose marker has been read.
 */
static void
UbjValue(DocReader *r, char marker, DocValue *out)
{
	memset(out, 0, sizeof(DocValue));
	if (UbjNumber(r, marker, out))
		return;
	switch (marker)
	{
		case 'Z':
			out->kind = DOC_NULL;
			return;
		case 'T':
			out->kind = DOC_TRUE;
			return;
		case 'F':
			out->kind = DOC_FALSE;
			return;
		case 'S':
			out->kind = DOC_STRING;
			UbjStringBody(r, &out->u.s, &out->len);
			return;
		case '[':
			{
				char		type;
				int32		count;
				ValueArray	items = {0};

				DocEnter(r);
				count = UbjContainerHeader(r, &type, false);
				if (count >= 0 && type != 0 && UbjFixedSize(type) > 0)
				{
					/* numbers of one type: kept as they are, decoded on access */
					DocLeave(r);
					out->kind = DOC_ARRAY;
					out->typed = type;
					out->len = count;
					out->u.raw = r->p;
					r->p += (size_t) count * UbjFixedSize(type);
					return;
				}
				if (count >= 0)
				{
					int32		i;

					if (count > 0)
					{
						items.items = MemoryContextAllocHuge(CurrentMemoryContext,
															 (Size) count * sizeof(DocValue));
						items.cap = count;
					}
					for (i = 0; i < count; i++)
					{
						DocValue   *v = ValueArrayPush(r, &items);

						if (type)
							UbjValue(r, type, v);
						else
							UbjValue(r, UbjMarker(r), v);
					}
				}
				else
				{
					for (;;)
					{
						char		m = UbjMarker(r);

						if (m == ']')
							break;
						UbjValue(r, m, ValueArrayPush(r, &items));
					}
				}
				DocLeave(r);
				out->kind = DOC_ARRAY;
				out->len = items.n;
				out->u.items = items.items;
				return;
			}
		case '{':
			{
				char		type;
				int32		count;
				int32		i;
				MemberArray members = {0};

				DocEnter(r);
				count = UbjContainerHeader(r, &type, true);
				for (i = 0; count < 0 || i < count; i++)
				{
					DocMember  *m;

					if (count < 0)
					{
						UbjNeed(r, 1);
						if (*r->p == '}')
						{
							r->p++;
							break;
						}
					}
					m = MemberArrayPush(r, &members);
					UbjStringBody(r, &m->key, &m->keylen);
					if (type)
						UbjValue(r, type, &m->value);
					else
						UbjValue(r, UbjMarker(r), &m->value);
				}
				DocLeave(r);
				CheckUniqueKeys(r, members.members, members.n);
				out->kind = DOC_OBJECT;
				out->len = members.n;
				out->u.members = members.members;
				return;
			}
		default:
			r->p--;
			DocError(r, "unsupported UBJSON marker");
	}
}

/*
 * XGBoost's legacy binary model format, which XGBoost before 1.0 saves and
 * releases up to 1.7 still save for a file name that does not end in .json
 * (or .ubj) (LearnerImpl's binary Save/Load in XGBoost's src/learner.cc,
 * 0.90 to 1.7): an optional 4-byte magic "binf" (or "bs64" for its base64
 * form), the 136-byte struct LearnerModelParam, then the objective's name
 * as a little-endian uint64 length and that many bytes ("reg:squarederror").
 */
#define LEGACY_PARAM_SIZE 136
#define LEGACY_MAX_NAME_LEN 64

/*
 * IsLegacyBinaryModel
 *		Whether bytes look like XGBoost's legacy binary model format: its
 *		magic, or an objective name ("kind:name", printable) where that
 *		format keeps it.  A heuristic, only used to word the error.
 */
static bool
IsLegacyBinaryModel(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *) data;
	uint64		n = 0;
	bool		colon = false;
	int			i;

	if (len >= 4 && (memcmp(p, "binf", 4) == 0 || memcmp(p, "bs64", 4) == 0))
		return true;
	if (len < LEGACY_PARAM_SIZE + 8)
		return false;
	for (i = 7; i >= 0; i--)
		n = (n << 8) | p[LEGACY_PARAM_SIZE + i];
	if (n == 0 || n > LEGACY_MAX_NAME_LEN || n > len - LEGACY_PARAM_SIZE - 8)
		return false;
	p += LEGACY_PARAM_SIZE + 8;
	for (i = 0; i < (int) n; i++)
	{
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return false;
		colon |= (p[i] == ':');
	}
	return colon;
}

/*
 * NotJsonOrUbjson
 *		Raises the reader's error code for bytes that do not begin with '{',
 *		saying what they are when they look like XGBoost's legacy binary
 *		format, and how to get a model durpred reads.
 */
static void
pg_attribute_noreturn()
NotJsonOrUbjson(DocReader *r)
{
	if (IsLegacyBinaryModel(r->start, r->end - r->start))
		ereport(ERROR,
				(errcode(r->errcode),
				 errmsg("model file is in XGBoost's legacy binary format, which durpred does not read"),
				 errdetail("XGBoost before 1.0 saves models (.model, .bst) only in this format, and releases up to 1.7 still do for a file name that does not end in .json (or, from 1.6 on, .ubj)."),
				 errhint("Load the model with any XGBoost release from 1.0 on and save it again as JSON or UBJSON: save_model(\"model.json\"), or save_model(\"model.ubj\") from XGBoost 1.6 on.")));
	ereport(ERROR,
			(errcode(r->errcode),
			 errmsg("invalid model file: not an XGBoost JSON or UBJSON model (it must begin with '{') at byte 0"),
			 errhint("durpred reads models that XGBoost 1.0 or later saved as JSON or UBJSON; save a model of another format again with save_model(\"model.json\") in any XGBoost release from 1.0 on.")));
}

/*
 * DocParse
 *		Parses a JSON or UBJSON document whose top level is an object.
 *
 * XGBoost's files both open with '{'; the next byte tells them apart: JSON
 * continues with white space, '"' or '}', UBJSON with the length marker of
 * the first key or '}'.
 */
DocValue *
DocParse(const char *data, size_t len, int errcode, bool *is_ubjson)
{
	DocReader	r;
	DocValue   *doc = palloc0(sizeof(DocValue));
	bool		is_json;

	r.start = r.p = data;
	r.end = data + len;
	r.depth = 0;
	r.errcode = errcode;

	if (len == 0 || data[0] != '{')
		NotJsonOrUbjson(&r);
	if (len < 2)
	{
		r.p = r.end;
		DocError(&r, "unexpected end of input");
	}

	is_json = (data[1] == '"' || data[1] == ' ' || data[1] == '\n' ||
			   data[1] == '\t' || data[1] == '\r' ||
			   (data[1] == '}' && len == 2));
	if (is_json)
	{
		JsonValue(&r, doc);
		JsonSkipSpace(&r);
	}
	else
	{
		r.p++;
		UbjValue(&r, '{', doc);
	}
	if (r.p != r.end)
		DocError(&r, "trailing bytes after the document");
	*is_ubjson = !is_json;
	return doc;
}

/* ---------------------------------------------------------------------
 * Access
 * ---------------------------------------------------------------------
 */

const DocValue *
DocArrayItem(const DocValue *array, int32 i, DocValue *scratch)
{
	DocReader	r;

	Assert(array->kind == DOC_ARRAY && i >= 0 && i < array->len);
	if (array->typed == 0)
		return &array->u.items[i];

	/* the bytes were bounds-checked when the array was parsed */
	r.start = r.p = array->u.raw + (size_t) i * UbjFixedSize(array->typed);
	r.end = r.p + UbjFixedSize(array->typed);
	r.depth = 0;
	r.errcode = ERRCODE_INTERNAL_ERROR;
	memset(scratch, 0, sizeof(DocValue));
	if (!UbjNumber(&r, array->typed, scratch))
		elog(ERROR, "typed array of unexpected type '%c'", array->typed);
	return scratch;
}

const DocValue *
DocGet(const DocValue *object, const char *key)
{
	size_t		keylen = strlen(key);
	int32		i;

	if (object == NULL || object->kind != DOC_OBJECT)
		return NULL;
	for (i = 0; i < object->len; i++)
	{
		const DocMember *m = &object->u.members[i];

		if ((size_t) m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
			return &m->value;
	}
	return NULL;
}

bool
DocStringEquals(const DocValue *value, const char *str)
{
	return value != NULL && value->kind == DOC_STRING &&
		(size_t) value->len == strlen(str) &&
		memcmp(value->u.s, str, value->len) == 0;
}

char *
DocStringDup(const DocValue *value)
{
	Assert(value->kind == DOC_STRING);
	return pnstrdup(value->u.s, value->len);
}

const char *
DocKindName(const DocValue *value)
{
	if (value == NULL)
		return "missing";
	switch ((DocKind) value->kind)
	{
		case DOC_NULL:
			return "null";
		case DOC_FALSE:
		case DOC_TRUE:
			return "a boolean";
		case DOC_INT:
			return "an integer";
		case DOC_FLOAT:
			return "a floating-point number";
		case DOC_STRING:
			return "a string";
		case DOC_ARRAY:
			return "an array";
		case DOC_OBJECT:
			return "an object";
	}
	return "unknown";
}

/* ---------------------------------------------------------------------
 * UBJSON writing
 * ---------------------------------------------------------------------
 */

static void
UbjRawInt64(StringInfo out, int64 value)
{
	uint64		be = pg_hton64((uint64) value);

	appendBinaryStringInfo(out, (const char *) &be, 8);
}

void
UbjBeginObject(StringInfo out)
{
	appendStringInfoChar(out, '{');
}

void
UbjEndObject(StringInfo out)
{
	appendStringInfoChar(out, '}');
}

void
UbjBeginArray(StringInfo out)
{
	appendStringInfoChar(out, '[');
}

void
UbjEndArray(StringInfo out)
{
	appendStringInfoChar(out, ']');
}

void
UbjKey(StringInfo out, const char *key)
{
	size_t		len = strlen(key);

	appendStringInfoChar(out, 'L');
	UbjRawInt64(out, (int64) len);
	appendBinaryStringInfo(out, key, (int) len);
}

void
UbjString(StringInfo out, const char *str, int len)
{
	appendStringInfoChar(out, 'S');
	appendStringInfoChar(out, 'L');
	UbjRawInt64(out, len);
	appendBinaryStringInfo(out, str, len);
}

void
UbjInt64(StringInfo out, int64 value)
{
	appendStringInfoChar(out, 'L');
	UbjRawInt64(out, value);
}

/*
 * UbjTypedHeader
 *		"[$<type>#L<count>" of a typed array.
 */
static void
UbjTypedHeader(StringInfo out, char type, int n)
{
	appendStringInfoChar(out, '[');
	appendStringInfoChar(out, '$');
	appendStringInfoChar(out, type);
	appendStringInfoChar(out, '#');
	appendStringInfoChar(out, 'L');
	UbjRawInt64(out, n);
}

void
UbjFloat32Array(StringInfo out, const float *values, int n)
{
	int			i;

	UbjTypedHeader(out, 'd', n);
	enlargeStringInfo(out, n * 4);
	for (i = 0; i < n; i++)
	{
		uint32		bits;

		memcpy(&bits, &values[i], 4);
		bits = pg_hton32(bits);
		appendBinaryStringInfo(out, (const char *) &bits, 4);
	}
}

void
UbjInt32Array(StringInfo out, const int32 *values, int n)
{
	int			i;

	UbjTypedHeader(out, 'l', n);
	enlargeStringInfo(out, n * 4);
	for (i = 0; i < n; i++)
	{
		uint32		be = pg_hton32((uint32) values[i]);

		appendBinaryStringInfo(out, (const char *) &be, 4);
	}
}

void
UbjUInt8Array(StringInfo out, const uint8 *values, int n)
{
	UbjTypedHeader(out, 'U', n);
	appendBinaryStringInfo(out, (const char *) values, n);
}
