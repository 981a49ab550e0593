/*-------------------------------------------------------------------------
 *
 * checksum.h
 *	  The content checksum of a revision: its canonical text, and the
 *	  SHA-256 of that text in lower-case hex.
 *
 * The extension stores it with every revision (migrate.add) and compares
 * it in validate(); the client computes it from the files to tell an
 * unchanged file without sending it (pg_migrate sync).  Both build
 * common/checksum.c, so both compute the same checksum by construction.
 *
 * This header needs no PostgreSQL header: the client's own files include
 * it as they are.
 *
 * IDENTIFICATION
 *	  common/checksum.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_CHECKSUM_H
#define MIGRATE_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>

#define MIGRATE_CHECKSUM_LEN	64	/* hex SHA-256 */

/*
 * A body normalised for checksumming (see checksum.c), palloc'd (in a
 * frontend program: malloc'd, exits when out of memory).
 */
extern char *migrate_normalize_body(const char *body);

/*
 * SHA-256 of "len" bytes into lower-case hex (NUL-terminated).  Returns
 * false, with *error set to a static message, if it could not be computed.
 */
extern bool migrate_sha256_hex(const char *data, size_t len,
							   char hex[MIGRATE_CHECKSUM_LEN + 1],
							   const char **error);

/*
 * The checksum of a revision's content into hex (NUL-terminated).  Lists
 * count as sets; a NULL downgrade (irreversible) differs from an empty
 * one.  Returns false, with *error set to a static message, if SHA-256
 * could not be computed.
 */
extern bool migrate_checksum_hex(const char *upgrade, const char *downgrade,
								 char *const *parents, int nparents,
								 char *const *depends, int ndepends,
								 char *const *labels, int nlabels,
								 bool transactional,
								 char hex[MIGRATE_CHECKSUM_LEN + 1],
								 const char **error);

#endif							/* MIGRATE_CHECKSUM_H */
