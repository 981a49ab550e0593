/*-------------------------------------------------------------------------
 *
 * regdigest.h
 *	  The registry digest: one SHA-256 over a project's registered
 *	  revisions as a deploy compares them with its files (id, checksum,
 *	  file name, message, applied), in lower-case hex.
 *
 * The extension computes it from its catalog (migrate.registry_digest),
 * the client from its directory of files (pg_migrate's sync): when the two
 * are equal, every file is registered unchanged, no revision is registered
 * without a file, and every one is applied, which the client learns from
 * one value instead of reading every registered revision.  Both build
 * common/regdigest.c, so both compute the same digest by construction.
 *
 * This header needs no PostgreSQL header: the client's own files include
 * it as they are.
 *
 * IDENTIFICATION
 *	  common/regdigest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_REGDIGEST_H
#define MIGRATE_REGDIGEST_H

#include <stdbool.h>

#define MIGRATE_REGDIGEST_LEN	64	/* hex SHA-256, as MIGRATE_CHECKSUM_LEN */

typedef struct MigrateRegDigest MigrateRegDigest;

/*
 * A digest under construction (palloc'd; in the client malloc'd), for the
 * given version of migrate (MIGRATE_VERSION, the library's or the
 * client's): a client and an extension of different versions never find
 * their digests equal, and take the long way, which checks the version.
 */
extern MigrateRegDigest *migrate_regdigest_begin(const char *version);

/*
 * Add one revision; call in the order of the ids, compared bytewise
 * (strcmp).  checksum, source and message may be NULL (none).
 */
extern void migrate_regdigest_add(MigrateRegDigest *d, const char *id,
								  const char *checksum, const char *source,
								  const char *message, bool applied);

/*
 * The digest into hex (NUL-terminated), and the builder freed.  Returns
 * false, with *error set to a static message, if SHA-256 could not be
 * computed.
 */
extern bool migrate_regdigest_end(MigrateRegDigest *d,
								  char hex[MIGRATE_REGDIGEST_LEN + 1],
								  const char **error);

#endif							/* MIGRATE_REGDIGEST_H */
