/*-------------------------------------------------------------------------
 *
 * src/features/resolved.c
 *		The stamp of the serving path's kept lookups (resolved.h), moved by
 *		invalidation callbacks.
 *
 * The callbacks only move the stamp: they run while invalidations are
 * processed, where nothing may be looked up.  The relations watched and
 * the rights remembered are forgotten when it moves; the lookups made
 * again watch their relations again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "features/resolved.h"

/* enough for the serving path's tables and their indexes */
#define MAX_WATCHED 32
#define MAX_RIGHTS 16

static uint64 stamp = 1;
static bool registered = false;
static Oid	watched[MAX_WATCHED];
static int	nwatched = 0;
static bool overflow = false;	/* more relations than watched[] holds */

static struct
{
	Oid			relid;
	Oid			userid;
	AclMode		mode;
	bool		held;
}			rights[MAX_RIGHTS];
static int	nrights = 0;

/* Moves the stamp: every kept lookup is stale. */
static void
Move(void)
{
	stamp++;
	nwatched = 0;
	overflow = false;
	nrights = 0;
}

/*
 * RelationCallback
 *		A relation (InvalidOid: every relation) was invalidated.  While more
 *		relations are kept than watched[] holds, any invalidation moves
 *		the stamp.
 */
static void
RelationCallback(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || overflow)
	{
		Move();
		return;
	}
	for (int i = 0; i < nwatched; i++)
		if (watched[i] == relid)
		{
			Move();
			return;
		}
}

/* A schema, role, role membership or operator family changed. */
static void
CatalogCallback(Datum arg pg_attribute_unused(), int cacheid pg_attribute_unused(),
				uint32 hashvalue pg_attribute_unused())
{
	Move();
}

/* Registers the callbacks, once per backend. */
static void
Register(void)
{
	if (registered)
		return;
	CacheRegisterRelcacheCallback(RelationCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(NAMESPACEOID, CatalogCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, CatalogCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, CatalogCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AMOPSTRATEGY, CatalogCallback, (Datum) 0);
	registered = true;
}

uint64
ResolvedStamp(void)
{
	Register();
	return stamp;
}

bool
ResolvedValid(uint64 kept)
{
	return registered && kept == stamp;
}

void
ResolvedWatch(Oid relid)
{
	Register();
	for (int i = 0; i < nwatched; i++)
		if (watched[i] == relid)
			return;
	if (nwatched == MAX_WATCHED)
		overflow = true;
	else
		watched[nwatched++] = relid;
}

bool
ResolvedLock(Oid relid, LOCKMODE mode, uint64 kept)
{
	if (!ResolvedValid(kept))
		return false;
	LockRelationOid(relid, mode);
	return ResolvedValid(kept);
}

bool
ResolvedRights(Oid relid, AclMode mode)
{
	Oid			userid = GetUserId();
	bool		held;

	Register();
	for (int i = 0; i < nrights; i++)
		if (rights[i].relid == relid && rights[i].userid == userid && rights[i].mode == mode)
			return rights[i].held;
	held = pg_class_aclcheck(relid, userid, mode) == ACLCHECK_OK;
	/* a GRANT or REVOKE invalidates the relation */
	ResolvedWatch(relid);
	if (nrights < MAX_RIGHTS)
	{
		rights[nrights].relid = relid;
		rights[nrights].userid = userid;
		rights[nrights].mode = mode;
		rights[nrights].held = held;
		nrights++;
	}
	return held;
}
