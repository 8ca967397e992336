/*-------------------------------------------------------------------------
 *
 * fuzz/shim.h
 *		The few backend services that the model reader, validator and
 *		compiler use, implemented outside the server for the fuzzer.
 *
 * Memory comes from malloc and is recorded in one arena, which the harness
 * frees after each input; its bytes are counted, with their peak.  An ERROR
 * jumps back to the harness; PANIC and a failed Assert abort, so that the
 * fuzzer reports them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DURPRED_FUZZ_SHIM_H
#define DURPRED_FUZZ_SHIM_H

#include <setjmp.h>

/* Where an ERROR jumps; set by the harness around each call. */
extern sigjmp_buf *shim_error_jump;

/* The last error's SQLSTATE (as MAKE_SQLSTATE packs it) and message. */
extern int	shim_error_code;
extern char shim_error_message[1024];

/* Bytes allocated now, and the most at any time since ShimResetPeak. */
extern size_t shim_bytes;
extern size_t shim_peak_bytes;

extern void ShimResetPeak(void);

/* Frees everything allocated since the last call. */
extern void ShimFreeAll(void);

#endif							/* DURPRED_FUZZ_SHIM_H */
