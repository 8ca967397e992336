/*-------------------------------------------------------------------------
 *
 * src/modeldoc.c
 *		Reading JSON and UBJSON model files into a compact encoding, and
 *		writing UBJSON.
 *
 * The readers are strict and bounded: every length prefix is checked
 * against the bytes that remain, nesting is limited, and nothing is read
 * past the end of the input, so that hostile bytes end in an error and never
 * in a crash or a huge allocation.
 *
 * Memory is bounded too.  A tree of value structs costs tens of bytes for
 * each value, and a value can take one byte of input (UBJSON's 'Z', or
 * "0," in JSON): a document of tiny values would cost twenty times its
 * size.  Values are therefore written one after another into one buffer, in
 * an encoding of at most about 1.5 bytes per byte of input, and decoded only
 * when they are read.  The buffer is sized for that bound once, and shrunk to
 * what was used; pages that are never written take no memory.
 *
 * The encoding: each value is a tag byte and its payload, in the host's
 * byte order, unaligned.
 *
 *	TAG_NULL, TAG_FALSE, TAG_TRUE	nothing
 *	TAG_SMALL_INT + 64 + i			nothing: an integer i from -64 to 63
 *	TAG_INT8 ... TAG_INT64			the integer, in the narrowest that holds it
 *	TAG_UINT8						an integer from 128 to 255, in one byte
 *	TAG_FLOAT32, TAG_FLOAT64		the number
 *	TAG_STRING						length, bytes
 *	TAG_ARRAY0, TAG_OBJECT0			nothing: empty
 *	TAG_ARRAY, TAG_OBJECT			body length (below 16384, in one byte, or
 *									two of 7 bits), body; the elements are
 *									counted when the value is read
 *	TAG_LARGE_ARRAY, TAG_LARGE_OBJECT	count, body length (4 bytes each),
 *									body
 *	TAG_TYPED8						marker, count (one byte), raw elements
 *	TAG_TYPEDREF					marker, count (4 bytes), pointer to the
 *									raw elements in the input
 *
 * A length is one byte below 255, else 255 and 4 bytes.  An array's body is
 * its values; an object's, its members: key (length, bytes), then value.
 *
 * Why about 1.5 bytes per byte of input.  Every scalar's encoding is no
 * longer than its input and the separator or bracket after it (a small
 * integer takes one byte: "0," and UBJSON's "i\0" take half their size),
 * except a JSON float of three characters ("0.5", "1e9", "NaN"): five bytes
 * for four (1.25).  A container has at least two bytes of its own ('[' and
 * ']', or a count), and a header of at most three while its body is below
 * 16 kB; a longer body has a 9-byte header, paid for by its 16 kB even when
 * 64 containers nest around one body (64 * 6 / 16384: 2.4 %).  A container
 * with one byte of its own is an element of a UBJSON container typed '['
 * or '{', which has no opening bracket: "Z]" takes three bytes for two
 * (1.5), and a 3-byte header needs a body of 128 bytes (1.2 %).  Typed
 * numeric arrays of more than 8 bytes stay in the input (14 bytes for a
 * header of at least 6 and the elements).  The buffer holds 1 + 1/2 + 1/16
 * bytes per byte of input, and the open containers' headers: a container's
 * header is written large and made small when its body turns out short.
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

/* Typed arrays of at most this many bytes are copied into the encoding. */
#define DOC_TYPED_INLINE_MAX 8

enum
{
	TAG_NULL = 1,
	TAG_FALSE,
	TAG_TRUE,
	TAG_INT8,
	TAG_UINT8,
	TAG_INT16,
	TAG_INT32,
	TAG_INT64,
	TAG_FLOAT32,
	TAG_FLOAT64,
	TAG_STRING,
	TAG_ARRAY0,
	TAG_ARRAY,
	TAG_LARGE_ARRAY,
	TAG_OBJECT0,
	TAG_OBJECT,
	TAG_LARGE_OBJECT,
	TAG_TYPED8,
	TAG_TYPEDREF,
	/* 0x80 to 0xFF: the integers -64 to 63 */
	TAG_SMALL_INT = 0x80
};

#define SMALL_INT_MIN (-64)
#define SMALL_INT_MAX 63

/* the large container header: tag, count, body length */
#define LARGE_HEADER 9
/* longest body of a container with a small header: two bytes of 7 bits */
#define SMALL_BODY_MAX 16383

typedef struct DocReader
{
	const char *start;
	const char *p;
	const char *end;
	int			depth;
	int			errcode;
	char	   *out;			/* the encoding */
	Size		out_len;
	Size		out_cap;
} DocReader;

static void JsonValue(DocReader *r);
static void UbjValue(DocReader *r, char marker);
static const char *DecodeValue(const char *p, DocValue *v);
static const char *SkipValue(const char *p);

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

/* ---------------------------------------------------------------------
 * Writing the encoding
 * ---------------------------------------------------------------------
 */

/*
 * OutReserve
 *		Room for n more bytes of encoding.  The buffer is sized for the bound
 *		in the file header and never grows, unless that reasoning is wrong:
 *		then it grows (fuzzing builds abort, so that the fuzzer reports it).
 */
static inline char *
OutReserve(DocReader *r, Size n)
{
	if (unlikely(r->out_cap - r->out_len < n))
	{
		Size		cap = Max(r->out_cap + r->out_cap / 2, r->out_len + n);

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
		elog(PANIC, "model document encoding exceeds its bound");
#endif
		if (cap > MaxAllocHugeSize)
			DocError(r, "document too large");
		r->out = repalloc_huge(r->out, cap);
		r->out_cap = cap;
	}
	return r->out + r->out_len;
}

static inline void
OutByte(DocReader *r, uint8 b)
{
	*OutReserve(r, 1) = (char) b;
	r->out_len++;
}

static inline void
OutBytes(DocReader *r, const void *bytes, Size n)
{
	memcpy(OutReserve(r, n), bytes, n);
	r->out_len += n;
}

/*
 * OutInteger
 *		An integer, in the narrowest form that holds it.
 */
static void
OutInteger(DocReader *r, int64 v)
{
	if (v >= SMALL_INT_MIN && v <= SMALL_INT_MAX)
		OutByte(r, (uint8) (TAG_SMALL_INT + (v - SMALL_INT_MIN)));
	else if (v >= PG_INT8_MIN && v <= PG_INT8_MAX)
	{
		int8		x = (int8) v;

		OutByte(r, TAG_INT8);
		OutBytes(r, &x, 1);
	}
	else if (v > PG_INT8_MAX && v <= PG_UINT8_MAX)
	{
		OutByte(r, TAG_UINT8);
		OutByte(r, (uint8) v);
	}
	else if (v >= PG_INT16_MIN && v <= PG_INT16_MAX)
	{
		int16		x = (int16) v;

		OutByte(r, TAG_INT16);
		OutBytes(r, &x, 2);
	}
	else if (v >= PG_INT32_MIN && v <= PG_INT32_MAX)
	{
		int32		x = (int32) v;

		OutByte(r, TAG_INT32);
		OutBytes(r, &x, 4);
	}
	else
	{
		OutByte(r, TAG_INT64);
		OutBytes(r, &v, 8);
	}
}

static void
OutFloat32(DocReader *r, float f)
{
	OutByte(r, TAG_FLOAT32);
	OutBytes(r, &f, 4);
}

/*
 * OutLength
 *		A string's or key's length: one byte below 255, else five.
 */
static void
OutLength(DocReader *r, Size n)
{
	if (n < 255)
		OutByte(r, (uint8) n);
	else
	{
		uint32		n32 = (uint32) n;

		if (n > PG_INT32_MAX)
			DocError(r, "string too long");
		OutByte(r, 255);
		OutBytes(r, &n32, 4);
	}
}

/*
 * ContainerBegin / ContainerEnd
 *		A container's header is written large, then made small (or empty)
 *		when the body is short, by moving the body down.
 */
static Size
ContainerBegin(DocReader *r)
{
	Size		pos = r->out_len;

	OutReserve(r, LARGE_HEADER);
	r->out_len += LARGE_HEADER;
	return pos;
}

static void
ContainerEnd(DocReader *r, Size pos, int64 count, bool is_object)
{
	char	   *header = r->out + pos;
	Size		body_len = r->out_len - (pos + LARGE_HEADER);

	if (count == 0)
	{
		Assert(body_len == 0);
		header[0] = is_object ? TAG_OBJECT0 : TAG_ARRAY0;
		r->out_len = pos + 1;
	}
	else if (body_len <= SMALL_BODY_MAX)
	{
		int			size = (body_len < 128) ? 2 : 3;

		header[0] = is_object ? TAG_OBJECT : TAG_ARRAY;
		if (body_len < 128)
			header[1] = (char) (uint8) body_len;
		else
		{
			header[1] = (char) (uint8) (0x80 | (body_len & 0x7F));
			header[2] = (char) (uint8) (body_len >> 7);
		}
		memmove(header + size, header + LARGE_HEADER, body_len);
		r->out_len = pos + size + body_len;
	}
	else
	{
		uint32		count32 = (uint32) count;
		uint32		body32 = (uint32) body_len;

		if (count > PG_INT32_MAX)
			DocError(r, is_object ? "object too large" : "array too long");
		if (body_len > PG_UINT32_MAX)
			DocError(r, "document too large");
		header[0] = is_object ? TAG_LARGE_OBJECT : TAG_LARGE_ARRAY;
		memcpy(header + 1, &count32, 4);
		memcpy(header + 5, &body32, 4);
	}
}

/* ---------------------------------------------------------------------
 * Duplicate keys
 * ---------------------------------------------------------------------
 */

/*
 * DecodeKey
 *		A member's key at p; returns the position of its value.
 */
static inline const char *
DecodeKey(const char *p, const char **key, int32 *keylen)
{
	uint8		b = (uint8) *p++;

	if (b < 255)
		*keylen = b;
	else
	{
		uint32		n;

		memcpy(&n, p, 4);
		p += 4;
		*keylen = (int32) n;
	}
	*key = p;
	return p + *keylen;
}

static int
CompareKeyBytes(const char *a, int32 alen, const char *b, int32 blen)
{
	int			cmp = memcmp(a, b, Min(alen, blen));

	if (cmp != 0)
		return cmp;
	return (alen > blen) - (alen < blen);
}

/*
 * CompareKeys
 *		qsort_arg comparator of members given by their offset in a body.
 */
static int
CompareKeys(const void *a, const void *b, void *arg)
{
	const char *body = (const char *) arg;
	const char *ka;
	const char *kb;
	int32		la;
	int32		lb;

	DecodeKey(body + *(const uint32 *) a, &ka, &la);
	DecodeKey(body + *(const uint32 *) b, &kb, &lb);
	return CompareKeyBytes(ka, la, kb, lb);
}

/*
 * CheckUniqueKeys
 *		Refuses an object with a key given twice: readers disagree on which
 *		one wins, and the model must mean one thing.  The object's encoding
 *		starts at pos.  Sorting takes 4 bytes per member, freed at once.
 */
static void
CheckUniqueKeys(DocReader *r, Size pos)
{
	DocValue	object;
	const char *body;
	const char *p;
	uint32	   *offsets;
	int32		i;

	DecodeValue(r->out + pos, &object);
	Assert(object.kind == DOC_OBJECT);
	if (object.len < 2)
		return;
	body = object.u.body;
	if (object.len <= 8)
	{
		const char *keys[8];
		int32		lens[8];
		int32		j;

		p = body;
		for (i = 0; i < object.len; i++)
		{
			p = SkipValue(DecodeKey(p, &keys[i], &lens[i]));
			for (j = 0; j < i; j++)
			{
				if (CompareKeyBytes(keys[i], lens[i], keys[j], lens[j]) == 0)
					DocError(r, "duplicate object key");
			}
		}
		return;
	}

	offsets = MemoryContextAllocHuge(CurrentMemoryContext,
									 sizeof(uint32) * (Size) object.len);
	p = body;
	for (i = 0; i < object.len; i++)
	{
		const char *key;
		int32		keylen;

		offsets[i] = (uint32) (p - body);
		p = SkipValue(DecodeKey(p, &key, &keylen));
	}
	qsort_arg(offsets, object.len, sizeof(uint32), CompareKeys,
			  unconstify(char *, body));
	for (i = 1; i < object.len; i++)
	{
		if (CompareKeys(&offsets[i - 1], &offsets[i], unconstify(char *, body)) == 0)
			DocError(r, "duplicate object key");
	}
	pfree(offsets);
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
 *		Reads a string after its opening quote, decoding escapes to UTF-8,
 *		and writes its length and bytes.
 */
static void
JsonString(DocReader *r)
{
	const char *q = r->p;
	Size		bound;
	Size		lenpos;
	char	   *w;
	char	   *start;
	Size		n;

	/* fast path: no escapes */
	while (q < r->end && *q != '"' && *q != '\\' && (unsigned char) *q >= 0x20)
		q++;
	if (q < r->end && *q == '"')
	{
		if (q - r->p > PG_INT32_MAX)
			DocError(r, "string too long");
		OutLength(r, q - r->p);
		OutBytes(r, r->p, q - r->p);
		r->p = q + 1;
		return;
	}

	/* find the closing quote: decoded text is never longer than that */
	while (q < r->end && *q != '"')
		q += (*q == '\\') ? 2 : 1;
	if (q >= r->end)
		DocError(r, "unterminated string");
	bound = q - r->p;

	/*
	 * The length's form is chosen by the bound, and filled in at the end.
	 * One step writes at most 4 bytes, and never more than it reads.
	 */
	lenpos = r->out_len;
	OutReserve(r, 5 + bound + 4);
	r->out_len += (bound < 255) ? 1 : 5;
	start = w = r->out + r->out_len;
	for (;;)
	{
		unsigned char c;

		if ((Size) (w - start) > bound)
			elog(ERROR, "decoded string longer than its text");
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
	n = w - start;
	if (n > bound)
		elog(ERROR, "decoded string longer than its text");
	if (n > PG_INT32_MAX)
		DocError(r, "string too long");
	if (bound < 255)
		r->out[lenpos] = (char) (uint8) n;
	else
	{
		uint32		n32 = (uint32) n;

		r->out[lenpos] = (char) 255;
		memcpy(r->out + lenpos + 1, &n32, 4);
	}
	r->out_len += n;
}

/*
 * JsonNumber
 *		Reads a number with JSON's grammar: an integer literal becomes an
 *		int64, one with a fraction or exponent a float32 (strtof rounds
 *		correctly, as XGBoost's reader does).
 */
static void
JsonNumber(DocReader *r)
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
		OutFloat32(r, strtof(buf, &endp));
	else
	{
		int64		v = strtoll(buf, &endp, 10);

		if (errno == ERANGE)
			DocError(r, "integer out of range");
		OutInteger(r, v);
	}
}

/*
 * JsonValue
 *		Reads one JSON value at the reader's position.
 */
static void
JsonValue(DocReader *r)
{
	JsonSkipSpace(r);
	if (r->p >= r->end)
		DocError(r, "unexpected end of input");

	switch (*r->p)
	{
		case '{':
			{
				Size		pos = ContainerBegin(r);
				int64		count = 0;

				r->p++;
				DocEnter(r);
				JsonSkipSpace(r);
				if (r->p < r->end && *r->p == '}')
					r->p++;
				else
				{
					for (;;)
					{
						JsonSkipSpace(r);
						if (r->p >= r->end || *r->p != '"')
							DocError(r, "expected an object key");
						r->p++;
						if (++count > PG_INT32_MAX)
							DocError(r, "object too large");
						JsonString(r);
						JsonSkipSpace(r);
						if (r->p >= r->end || *r->p != ':')
							DocError(r, "expected ':'");
						r->p++;
						JsonValue(r);
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
				ContainerEnd(r, pos, count, true);
				CheckUniqueKeys(r, pos);
				return;
			}
		case '[':
			{
				Size		pos = ContainerBegin(r);
				int64		count = 0;

				r->p++;
				DocEnter(r);
				JsonSkipSpace(r);
				if (r->p < r->end && *r->p == ']')
					r->p++;
				else
				{
					for (;;)
					{
						if (++count > PG_INT32_MAX)
							DocError(r, "array too long");
						JsonValue(r);
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
				ContainerEnd(r, pos, count, false);
				return;
			}
		case '"':
			r->p++;
			OutByte(r, TAG_STRING);
			JsonString(r);
			return;
		default:
			break;
	}

	/* a word, by its first letter; anything else is a number */
	if (*r->p == 't' && JsonLiteral(r, "true"))
		OutByte(r, TAG_TRUE);
	else if (*r->p == 'f' && JsonLiteral(r, "false"))
		OutByte(r, TAG_FALSE);
	else if (*r->p == 'n' && JsonLiteral(r, "null"))
		OutByte(r, TAG_NULL);
	/* XGBoost writes non-finite floats as these words */
	else if (*r->p == 'N' && JsonLiteral(r, "NaN"))
		OutFloat32(r, NAN);
	else if (*r->p == 'I' && JsonLiteral(r, "Infinity"))
		OutFloat32(r, INFINITY);
	else if (*r->p == '-' && JsonLiteral(r, "-Infinity"))
		OutFloat32(r, -INFINITY);
	else
		JsonNumber(r);
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
 * UbjDecodeInteger
 *		A big-endian integer of a marker's width at p, which holds enough
 *		bytes; false for a marker that is not an integer's.
 */
static bool
UbjDecodeInteger(const char *p, char marker, int64 *out)
{
	switch (marker)
	{
		case 'i':
			*out = (int8) p[0];
			return true;
		case 'U':
			*out = (uint8) p[0];
			return true;
		case 'I':
			{
				uint16		v;

				memcpy(&v, p, 2);
				*out = (int16) pg_ntoh16(v);
				return true;
			}
		case 'l':
			{
				uint32		v;

				memcpy(&v, p, 4);
				*out = (int32) pg_ntoh32(v);
				return true;
			}
		case 'L':
			{
				uint64		v;

				memcpy(&v, p, 8);
				*out = (int64) pg_ntoh64(v);
				return true;
			}
		default:
			return false;
	}
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
 * UbjDecodeNumber
 *		A number of a fixed-size marker at p (which holds its bytes) into a
 *		value.
 */
static void
UbjDecodeNumber(const char *p, char marker, DocValue *out)
{
	memset(out, 0, sizeof(DocValue));
	if (UbjDecodeInteger(p, marker, &out->u.i))
		out->kind = DOC_INT;
	else if (marker == 'd')
	{
		uint32		bits;
		float		f;

		memcpy(&bits, p, 4);
		bits = pg_ntoh32(bits);
		memcpy(&f, &bits, 4);
		out->kind = DOC_FLOAT;
		out->u.f = f;
	}
	else
	{
		uint64		bits;
		double		d;

		Assert(marker == 'D');
		memcpy(&bits, p, 8);
		bits = pg_ntoh64(bits);
		memcpy(&d, &bits, 8);
		out->kind = DOC_FLOAT;
		out->u.f = d;
	}
}

/*
 * UbjReadInteger
 *		Reads a big-endian integer of a marker's width.
 */
static bool
UbjReadInteger(DocReader *r, char marker, int64 *out)
{
	int			size;

	if (marker != 'i' && marker != 'U' && marker != 'I' && marker != 'l' &&
		marker != 'L')
		return false;
	size = UbjFixedSize(marker);
	UbjNeed(r, size);
	UbjDecodeInteger(r->p, marker, out);
	r->p += size;
	return true;
}

/*
 * UbjLength
 *		Reads a length or count: an integer, not negative, and no more than
 *		the bytes that remain after it (a string's bytes, or a container's
 *		elements, each of which takes at least one byte).
 *
 * The bytes that remain are counted once the length itself is read: counted
 * before, they would let a length run up to 9 bytes past the end.
 */
static int32
UbjLength(DocReader *r)
{
	int64		n;

	if (!UbjReadInteger(r, UbjMarker(r), &n))
		DocError(r, "expected an integer length");
	if (n < 0)
		DocError(r, "negative length");
	if ((uint64) n > (uint64) (r->end - r->p) || n > PG_INT32_MAX)
		DocError(r, "length prefix beyond the end of input");
	return (int32) n;
}

/*
 * UbjStringBody
 *		Reads a length-prefixed string (after the 'S' marker, or an object
 *		key) and writes its length and bytes.
 */
static void
UbjStringBody(DocReader *r)
{
	int32		n = UbjLength(r);

	if (memchr(r->p, '\0', n) != NULL)
		DocError(r, "NUL character in string");
	OutLength(r, n);
	OutBytes(r, r->p, n);
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
		n = UbjLength(r);
		remaining = r->end - r->p;
		if (size > 0 && !is_object && (size_t) n * size > remaining)
			DocError(r, "length prefix beyond the end of input");
		return n;
	}
	return -1;
}

/*
 * UbjNumber
 *		Reads a number of a known marker and writes it; false when the
 *		marker is not a number's.
 */
static bool
UbjNumber(DocReader *r, char marker)
{
	int64		i;

	if (UbjReadInteger(r, marker, &i))
	{
		OutInteger(r, i);
		return true;
	}
	if (marker == 'd')
	{
		DocValue	v;

		UbjNeed(r, 4);
		UbjDecodeNumber(r->p, marker, &v);
		r->p += 4;
		OutFloat32(r, (float) v.u.f);
		return true;
	}
	if (marker == 'D')
	{
		DocValue	v;

		UbjNeed(r, 8);
		UbjDecodeNumber(r->p, marker, &v);
		r->p += 8;
		OutByte(r, TAG_FLOAT64);
		OutBytes(r, &v.u.f, 8);
		return true;
	}
	return false;
}

/*
 * UbjTypedArray
 *		A typed numeric array of count elements at the reader's position,
 *		whose bytes are known to be there: copied when short, else
 *		referenced in the input.
 */
static void
UbjTypedArray(DocReader *r, char type, int32 count)
{
	Size		size = (Size) count * UbjFixedSize(type);

	if (count == 0)
		OutByte(r, TAG_ARRAY0);
	else if (size <= DOC_TYPED_INLINE_MAX)
	{
		OutByte(r, TAG_TYPED8);
		OutByte(r, (uint8) type);
		OutByte(r, (uint8) count);
		OutBytes(r, r->p, size);
	}
	else
	{
		uint32		count32 = (uint32) count;
		const char *raw = r->p;

		OutByte(r, TAG_TYPEDREF);
		OutByte(r, (uint8) type);
		OutBytes(r, &count32, 4);
		OutBytes(r, &raw, sizeof(raw));
	}
	r->p += size;
}

/*
 * UbjValue
 *		Reads one UBJSON value whose marker has been read.
 */
static void
UbjValue(DocReader *r, char marker)
{
	if (UbjNumber(r, marker))
		return;
	switch (marker)
	{
		case 'Z':
			OutByte(r, TAG_NULL);
			return;
		case 'T':
			OutByte(r, TAG_TRUE);
			return;
		case 'F':
			OutByte(r, TAG_FALSE);
			return;
		case 'S':
			OutByte(r, TAG_STRING);
			UbjStringBody(r);
			return;
		case '[':
			{
				char		type;
				int32		count;
				int64		n = 0;
				Size		pos;

				DocEnter(r);
				count = UbjContainerHeader(r, &type, false);
				if (count >= 0 && type != 0 && UbjFixedSize(type) > 0)
				{
					/* numbers of one type: kept as they are, decoded on access */
					DocLeave(r);
					UbjTypedArray(r, type, count);
					return;
				}
				pos = ContainerBegin(r);
				if (count >= 0)
				{
					for (n = 0; n < count; n++)
						UbjValue(r, type ? type : UbjMarker(r));
				}
				else
				{
					for (;;)
					{
						char		m = UbjMarker(r);

						if (m == ']')
							break;
						if (++n > PG_INT32_MAX)
							DocError(r, "array too long");
						UbjValue(r, m);
					}
				}
				DocLeave(r);
				ContainerEnd(r, pos, n, false);
				return;
			}
		case '{':
			{
				char		type;
				int32		count;
				int64		n;
				Size		pos;

				DocEnter(r);
				count = UbjContainerHeader(r, &type, true);
				pos = ContainerBegin(r);
				for (n = 0; count < 0 || n < count; n++)
				{
					if (count < 0)
					{
						UbjNeed(r, 1);
						if (*r->p == '}')
						{
							r->p++;
							break;
						}
						if (n >= PG_INT32_MAX)
							DocError(r, "object too large");
					}
					UbjStringBody(r);
					UbjValue(r, type ? type : UbjMarker(r));
				}
				DocLeave(r);
				ContainerEnd(r, pos, n, true);
				CheckUniqueKeys(r, pos);
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
Doc *
DocParse(const char *data, size_t len, int errcode)
{
	DocReader	r;
	Doc		   *doc;
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

	/* the bound of the file header, and room for the open headers */
	r.out_cap = len + len / 2 + len / 16 + (DOC_MAX_DEPTH + 2) * LARGE_HEADER;
	r.out = MemoryContextAllocHuge(CurrentMemoryContext, r.out_cap);
	r.out_len = 0;

	is_json = (data[1] == '"' || data[1] == ' ' || data[1] == '\n' ||
			   data[1] == '\t' || data[1] == '\r' ||
			   (data[1] == '}' && len == 2));
	if (is_json)
	{
		JsonValue(&r);
		JsonSkipSpace(&r);
	}
	else
	{
		r.p++;
		UbjValue(&r, '{');
	}
	if (r.p != r.end)
		DocError(&r, "trailing bytes after the document");

	/* give back what the bound reserved beyond what was used */
	if (r.out_len < r.out_cap)
		r.out = repalloc_huge(r.out, r.out_len);

	doc = palloc0(sizeof(Doc));
	doc->is_ubjson = !is_json;
	doc->encoded = r.out;
	doc->encoded_len = r.out_len;
	DecodeValue(doc->encoded, &doc->root);
	return doc;
}

/*
 * DocFree
 *		Frees the encoding of a document.
 */
void
DocFree(Doc *doc)
{
	pfree(doc->encoded);
	pfree(doc);
}

/* ---------------------------------------------------------------------
 * Reading the encoding
 * ---------------------------------------------------------------------
 */

/*
 * DecodeBodyLength
 *		The body length of a container with a small header, at p; returns
 *		the position of the body.
 */
static inline const char *
DecodeBodyLength(const char *p, uint32 *len)
{
	uint8		b = (uint8) p[0];

	if (b < 0x80)
	{
		*len = b;
		return p + 1;
	}
	*len = (b & 0x7F) | ((uint32) (uint8) p[1] << 7);
	return p + 2;
}

/*
 * SkipValue
 *		The position after the value at p.
 */
static const char *
SkipValue(const char *p)
{
	uint8		tag = (uint8) *p++;
	uint32		n;

	if (tag >= TAG_SMALL_INT)
		return p;
	switch (tag)
	{
		case TAG_NULL:
		case TAG_FALSE:
		case TAG_TRUE:
		case TAG_ARRAY0:
		case TAG_OBJECT0:
			return p;
		case TAG_INT8:
		case TAG_UINT8:
			return p + 1;
		case TAG_INT16:
			return p + 2;
		case TAG_INT32:
		case TAG_FLOAT32:
			return p + 4;
		case TAG_INT64:
		case TAG_FLOAT64:
			return p + 8;
		case TAG_STRING:
			{
				const char *s;
				int32		len;

				return DecodeKey(p, &s, &len);
			}
		case TAG_ARRAY:
		case TAG_OBJECT:
			p = DecodeBodyLength(p, &n);
			return p + n;
		case TAG_LARGE_ARRAY:
		case TAG_LARGE_OBJECT:
			memcpy(&n, p + 4, 4);
			return p + 8 + n;
		case TAG_TYPED8:
			return p + 2 + (uint8) p[1] * UbjFixedSize(p[0]);
		case TAG_TYPEDREF:
			return p + 5 + sizeof(const char *);
	}
	elog(ERROR, "unexpected tag %d in a model document", tag);
	return NULL;				/* keep compiler quiet */
}

/*
 * DecodeValue
 *		Decodes the value at p; returns the position after it.
 */
static const char *
DecodeValue(const char *p, DocValue *v)
{
	uint8		tag = (uint8) *p;

	memset(v, 0, sizeof(DocValue));
	if (tag >= TAG_SMALL_INT)
	{
		v->kind = DOC_INT;
		v->u.i = (int64) (tag - TAG_SMALL_INT) + SMALL_INT_MIN;
		return p + 1;
	}
	switch (tag)
	{
		case TAG_NULL:
			v->kind = DOC_NULL;
			break;
		case TAG_FALSE:
			v->kind = DOC_FALSE;
			break;
		case TAG_TRUE:
			v->kind = DOC_TRUE;
			break;
		case TAG_INT8:
			v->kind = DOC_INT;
			v->u.i = (int8) p[1];
			break;
		case TAG_UINT8:
			v->kind = DOC_INT;
			v->u.i = (uint8) p[1];
			break;
		case TAG_INT16:
			{
				int16		x;

				memcpy(&x, p + 1, 2);
				v->kind = DOC_INT;
				v->u.i = x;
				break;
			}
		case TAG_INT32:
			{
				int32		x;

				memcpy(&x, p + 1, 4);
				v->kind = DOC_INT;
				v->u.i = x;
				break;
			}
		case TAG_INT64:
			v->kind = DOC_INT;
			memcpy(&v->u.i, p + 1, 8);
			break;
		case TAG_FLOAT32:
			{
				float		f;

				memcpy(&f, p + 1, 4);
				v->kind = DOC_FLOAT;
				v->u.f = f;
				break;
			}
		case TAG_FLOAT64:
			v->kind = DOC_FLOAT;
			memcpy(&v->u.f, p + 1, 8);
			break;
		case TAG_STRING:
			v->kind = DOC_STRING;
			return DecodeKey(p + 1, &v->u.s, &v->len);
		case TAG_ARRAY0:
		case TAG_OBJECT0:
			v->kind = (tag == TAG_ARRAY0) ? DOC_ARRAY : DOC_OBJECT;
			v->u.body = p + 1;
			break;
		case TAG_ARRAY:
		case TAG_OBJECT:
			{
				uint32		body_len;
				const char *body = DecodeBodyLength(p + 1, &body_len);
				const char *end = body + body_len;
				const char *q = body;
				bool		is_object = (tag == TAG_OBJECT);

				/* a short body: its elements are counted when read */
				while (q < end)
				{
					if (is_object)
					{
						const char *key;
						int32		keylen;

						q = DecodeKey(q, &key, &keylen);
					}
					q = SkipValue(q);
					v->len++;
				}
				v->kind = is_object ? DOC_OBJECT : DOC_ARRAY;
				v->u.body = body;
				return end;
			}
		case TAG_LARGE_ARRAY:
		case TAG_LARGE_OBJECT:
			{
				uint32		count;

				memcpy(&count, p + 1, 4);
				v->kind = (tag == TAG_LARGE_ARRAY) ? DOC_ARRAY : DOC_OBJECT;
				v->len = (int32) count;
				v->u.body = p + LARGE_HEADER;
				break;
			}
		case TAG_TYPED8:
			v->kind = DOC_ARRAY;
			v->typed = p[1];
			v->len = (uint8) p[2];
			v->u.raw = p + 3;
			break;
		case TAG_TYPEDREF:
			{
				uint32		count;

				v->kind = DOC_ARRAY;
				v->typed = p[1];
				memcpy(&count, p + 2, 4);
				v->len = (int32) count;
				memcpy(&v->u.raw, p + 6, sizeof(const char *));
				break;
			}
		default:
			elog(ERROR, "unexpected tag %d in a model document", tag);
	}
	return SkipValue(p);
}

/* ---------------------------------------------------------------------
 * Access
 * ---------------------------------------------------------------------
 */

void
DocIterInit(DocIter *it, const DocValue *container)
{
	Assert(container->kind == DOC_ARRAY || container->kind == DOC_OBJECT);
	it->container = container;
	it->index = 0;
	it->pos = container->u.body;
}

bool
DocIterNext(DocIter *it, DocValue *value, const char **key, int32 *keylen)
{
	const DocValue *c = it->container;

	if (it->index >= c->len)
		return false;
	if (c->typed != 0)
	{
		/* the bytes were bounds-checked when the array was parsed */
		UbjDecodeNumber(c->u.raw + (Size) it->index * UbjFixedSize(c->typed),
						c->typed, value);
	}
	else
	{
		if (c->kind == DOC_OBJECT)
		{
			const char *k;
			int32		klen;

			it->pos = DecodeKey(it->pos, &k, &klen);
			if (key != NULL)
			{
				*key = k;
				*keylen = klen;
			}
		}
		it->pos = DecodeValue(it->pos, value);
	}
	it->index++;
	return true;
}

const DocValue *
DocGet(const DocValue *object, const char *key, DocValue *out)
{
	size_t		keylen = strlen(key);
	const char *p;
	int32		i;

	if (object == NULL || object->kind != DOC_OBJECT)
		return NULL;
	p = object->u.body;
	for (i = 0; i < object->len; i++)
	{
		const char *k;
		int32		klen;

		p = DecodeKey(p, &k, &klen);
		if ((size_t) klen == keylen && memcmp(k, key, keylen) == 0)
		{
			DecodeValue(p, out);
			return out;
		}
		p = SkipValue(p);
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
