/*-------------------------------------------------------------------------
 *
 * lockkey.h
 *	  The key of the migration lock, for the extension and the client.
 *
 * The migration lock is the two-key advisory lock (1835624306, 0) of the
 * current database (1835624306 is 'migr'): the extension takes it in
 * every function that changes the catalog (src/lock.c), and the client
 * takes it by SQL around a sync (client/sync.c), so that both serialize
 * against each other.  pg_locks shows it as locktype 'advisory', classid
 * 1835624306, objid 0, objsubid 2; a script may hold migrations off with
 * pg_advisory_xact_lock(1835624306, 0).
 *
 * MIGRATE_LOCK_KEYS_SQL is the same key as SQL arguments, for queries
 * built as string literals: "SELECT pg_advisory_xact_lock("
 * MIGRATE_LOCK_KEYS_SQL ")".
 *
 * IDENTIFICATION
 *	  common/lockkey.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_LOCKKEY_H
#define MIGRATE_LOCKKEY_H

#define MIGRATE_LOCK_KEY1	1835624306	/* 'migr' */
#define MIGRATE_LOCK_KEY2	0

#define MIGRATE_LOCK_STRINGIFY(x)	#x
#define MIGRATE_LOCK_TEXT(x)	MIGRATE_LOCK_STRINGIFY(x)
#define MIGRATE_LOCK_KEYS_SQL \
	MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY1) ", " MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY2)

#endif							/* MIGRATE_LOCKKEY_H */
