/*-------------------------------------------------------------------------
 *
 * fuzz/shim.c
 *		Backend services for the model code outside the server: palloc and
 *		friends on an arena of malloc'd chunks, ereport as a jump back to
 *		the harness, StringInfo, and stubs for what is linked but never
 *		called.
 *
 * The behaviour that matters to the code under test is PostgreSQL's: palloc
 * refuses more than MaxAllocSize (only the _huge variants go beyond), and an
 * ERROR never returns.  Formatting comes from libpgport (pg_vsnprintf).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "shim.h"

sigjmp_buf *shim_error_jump = NULL;
int			shim_error_code = 0;
char		shim_error_message[1024];
size_t		shim_bytes = 0;
size_t		shim_peak_bytes = 0;

/* ---------------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------------
 */

typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	size_t		size;
	size_t		unused;			/* keeps the payload 16-byte aligned */
} ShimChunk;

static ShimChunk arena = {&arena, &arena, 0, 0};

/* A dummy context: every context is the one arena. */
static MemoryContextData shim_context;
MemoryContext CurrentMemoryContext = &shim_context;
MemoryContext TopMemoryContext = &shim_context;

void
ShimResetPeak(void)
{
	shim_peak_bytes = shim_bytes;
}

void
ShimFreeAll(void)
{
	ShimChunk  *c = arena.next;

	while (c != &arena)
	{
		ShimChunk  *next = c->next;

		free(c);
		c = next;
	}
	arena.next = arena.prev = &arena;
	shim_bytes = 0;
}

static void *
ShimAlloc(size_t size, bool huge, bool zero)
{
	ShimChunk  *c;

	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	c = zero ? calloc(1, sizeof(ShimChunk) + size) : malloc(sizeof(ShimChunk) + size);
	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	c->size = size;
	c->next = arena.next;
	c->prev = &arena;
	arena.next->prev = c;
	arena.next = c;
	shim_bytes += size;
	if (shim_bytes > shim_peak_bytes)
		shim_peak_bytes = shim_bytes;
	return c + 1;
}

static void *
ShimRealloc(void *pointer, size_t size, bool huge)
{
	ShimChunk  *c = ((ShimChunk *) pointer) - 1;
	ShimChunk  *moved;

	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	moved = realloc(c, sizeof(ShimChunk) + size);
	if (moved == NULL)
	{
		/* put it back, so that it is freed with the arena */
		c->next = arena.next;
		c->prev = &arena;
		arena.next->prev = c;
		arena.next = c;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	shim_bytes = shim_bytes - moved->size + size;
	if (shim_bytes > shim_peak_bytes)
		shim_peak_bytes = shim_bytes;
	moved->size = size;
	moved->next = arena.next;
	moved->prev = &arena;
	arena.next->prev = moved;
	arena.next = moved;
	return moved + 1;
}

void *
palloc(Size size)
{
	return ShimAlloc(size, false, false);
}

void *
palloc0(Size size)
{
	return ShimAlloc(size, false, true);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return ShimAlloc(size, false, false);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return ShimAlloc(size, false, true);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return ShimAlloc(size, true, false);
}

void *
repalloc(void *pointer, Size size)
{
	return ShimRealloc(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return ShimRealloc(pointer, size, true);
}

void
pfree(void *pointer)
{
	ShimChunk  *c = ((ShimChunk *) pointer) - 1;

	c->prev->next = c->next;
	c->next->prev = c->prev;
	shim_bytes -= c->size;
	free(c);
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

static int	error_level;

bool
errstart(int elevel, const char *domain)
{
	if (elevel < ERROR)
		return false;
	error_level = elevel;
	shim_error_code = ERRCODE_INTERNAL_ERROR;
	shim_error_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	shim_error_code = sqlerrcode;
	return 0;
}

static void
ShimFormat(char *buf, size_t size, const char *fmt, va_list args)
{
	vsnprintf(buf, size, fmt, args);
}

int
errmsg(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	ShimFormat(shim_error_message, sizeof(shim_error_message), fmt, args);
	va_end(args);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	ShimFormat(shim_error_message, sizeof(shim_error_message), fmt, args);
	va_end(args);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	char		buf[1024];
	va_list		args;

	va_start(args, fmt);
	ShimFormat(buf, sizeof(buf), fmt, args);
	va_end(args);
	return 0;
}

int
errhint(const char *fmt,...)
{
	char		buf[1024];
	va_list		args;

	va_start(args, fmt);
	ShimFormat(buf, sizeof(buf), fmt, args);
	va_end(args);
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_level >= PANIC || shim_error_jump == NULL)
	{
		fprintf(stderr, "%s:%d: %s: %s\n", filename, lineno,
				error_level >= PANIC ? "PANIC" : "ERROR outside the harness",
				shim_error_message);
		abort();
	}
	siglongjmp(*shim_error_jump, 1);
}

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	fprintf(stderr, "TRAP: %s(\"%s\", File: \"%s\", Line: %d)\n",
			errorType, conditionName, fileName, lineNumber);
	abort();
}

/* ---------------------------------------------------------------------
 * Interrupts and the stack: nothing to do outside a backend
 * ---------------------------------------------------------------------
 */

volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
}

void
check_stack_depth(void)
{
}

/* ---------------------------------------------------------------------
 * StringInfo, as src/common/stringinfo.c
 * ---------------------------------------------------------------------
 */

void
initStringInfo(StringInfo str)
{
	str->data = palloc(1024);
	str->maxlen = 1024;
	resetStringInfo(str);
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	int			newlen;

	if (needed < 0 || ((Size) needed) >= (MaxAllocSize - (Size) str->len))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of memory"),
				 errdetail("Cannot enlarge string buffer containing %d bytes by %d more bytes.",
						   str->len, needed)));
	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	newlen = 2 * str->maxlen;
	while (needed > newlen)
		newlen = 2 * newlen;
	if (newlen > (int) MaxAllocSize)
		newlen = (int) MaxAllocSize;
	str->data = repalloc(str->data, newlen);
	str->maxlen = newlen;
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	if (str->len + 1 >= str->maxlen)
		enlargeStringInfo(str, 1);
	str->data[str->len] = ch;
	str->len++;
	str->data[str->len] = '\0';
}

int
appendStringInfoVA(StringInfo str, const char *fmt, va_list args)
{
	int			avail = str->maxlen - str->len;
	int			n;

	n = vsnprintf(str->data + str->len, avail, fmt, args);
	if (n >= 0 && n < avail)
	{
		str->len += n;
		return 0;
	}
	str->data[str->len] = '\0';
	return n < 0 ? 1024 : n + 1;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(str, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(str, needed);
	}
}

/* ---------------------------------------------------------------------
 * Linked with feature.c, never called by the code under test
 * ---------------------------------------------------------------------
 */

JsonbIterator *
JsonbIteratorInit(JsonbContainer *container)
{
	abort();
}

JsonbIteratorToken
JsonbIteratorNext(JsonbIterator **it, JsonbValue *val, bool skipNested)
{
	abort();
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	abort();
}

Datum
numeric_float8_no_overflow(PG_FUNCTION_ARGS)
{
	abort();
}
