/*-------------------------------------------------------------------------
 *
 * lockkey.c
 *	  The second key of a project's migration lock (lockkey.h), for the
 *	  extension and the client alike.
 *
 * 0 for the project 'default', the key 0.1 used for its one history;
 * otherwise what hashtext(project) returns: hash_bytes over the bytes of
 * the name (project names are ASCII by the id rules, so neither encoding
 * nor collation enters into it), as a signed 32-bit number.  So an
 * operator can name the lock in SQL: pg_advisory_xact_lock(1835624306,
 * hashtext('billing')).
 *
 * Built as PostgreSQL builds src/common: postgres.h in the extension,
 * postgres_fe.h (FRONTEND) in the client.
 *
 * IDENTIFICATION
 *	  common/lockkey.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "lockkey.h"

#include "common/hashfn.h"

int32_t
migrate_lock_key2(const char *project)
{
	if (strcmp(project, "default") == 0)
		return 0;
	return (int32_t) hash_bytes((const unsigned char *) project, (int) strlen(project));
}
