/*-------------------------------------------------------------------------
 *
 * lockkey.h
 *	  The key of a project's migration lock, for the extension and the
 *	  client.
 *
 * Each project (history) of a database has its own migration lock: the
 * two-key advisory lock (MIGRATE_LOCK_KEY1, migrate_lock_key2(project)) of
 * the current database.  1835624306 is 'migr'; the second key is 0 for the
 * project 'default' (the key 0.1 used for its one history, so scripts
 * written for it keep working) and otherwise the project name hashed the
 * way hashtext() hashes it: PostgreSQL's hash_bytes over the name's bytes
 * (project names are ASCII by the id rules, so no encoding or collation
 * enters into it), read as a signed 32-bit number.
 *
 * The extension takes it in every function that changes a project's
 * history (src/lock.c), the offline script takes it by SQL
 * (src/script.c), and the client takes it around a sync (client/sync.c),
 * so that all three serialize against each other per project.  pg_locks
 * shows it as locktype 'advisory', classid 1835624306, objsubid 2, and
 * objid the second key read as unsigned; a script may hold a project's
 * migrations off with
 *	  SELECT pg_advisory_xact_lock(1835624306, hashtext('billing'));
 * (or ..., 0) for 'default').
 *
 * The key is computed in lockkey.c (hash_bytes is libpgcommon's, in the
 * server and in a frontend program alike); this header needs no
 * PostgreSQL header.
 *
 * IDENTIFICATION
 *	  common/lockkey.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_LOCKKEY_H
#define MIGRATE_LOCKKEY_H

#include <stdint.h>

#define MIGRATE_LOCK_KEY1	1835624306	/* 'migr' */

#define MIGRATE_LOCK_STRINGIFY(x)	#x
#define MIGRATE_LOCK_TEXT(x)	MIGRATE_LOCK_STRINGIFY(x)

/* The second key of a project's lock. */
extern int32_t migrate_lock_key2(const char *project);

#endif							/* MIGRATE_LOCKKEY_H */
