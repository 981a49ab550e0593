/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  The content checksum of a revision (checksum.h), for the extension
 *	  and the client alike.
 *
 * The checksum covers what makes two revisions "identical": the normalised
 * bodies, the parents, dependencies and labels (as sets), and the
 * transactional flag.  Its canonical text (version 1):
 *
 *	   migrate-checksum-v1\n
 *	   transactional:t|f\n
 *	   parents:<n>[:<id>]...\n        ids sorted bytewise
 *	   depends:<n>[:<id>]...\n
 *	   labels:<n>[:<label>]...\n
 *	   upgrade:<len>:<normalised body>\n
 *	   downgrade:null\n  or  downgrade:<len>:<normalised body>\n
 *
 * and the checksum is its SHA-256 in lower-case hex.  A body is normalised
 * by ending lines with \n (CRLF and lone CR end lines too), dropping the
 * spaces and tabs that end each line, and dropping blank lines at the start
 * and the end; a line that ends inside a quoted literal keeps its blanks
 * and its line break (bodylex.h).  So a file reformatted by an editor or
 * checked out with CRLF endings is not a changed revision.
 *
 * Built as PostgreSQL builds src/common: with postgres.h into the
 * extension, with postgres_fe.h (FRONTEND) into the client, on StringInfo,
 * palloc and pg_cryptohash (libpgcommon in the client).  Every stored
 * checksum depends on this text: change it only with a new version tag.
 *
 * IDENTIFICATION
 *	  common/checksum.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#ifdef USE_OPENSSL
#include <openssl/evp.h>
#include <pthread.h>
#endif
#endif

#include "bodylex.h"
#include "checksum.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"

/*
 * Normalise a body for checksumming: line endings become \n, trailing spaces
 * and tabs of every line go, and so do blank lines at the start and end;
 * except where a line ends inside a quoted literal (bodylex.h), whose bytes
 * are its value: such a line and its line break are kept as they are.
 */
char *
migrate_normalize_body(const char *body)
{
	StringInfoData out;
	BodyLines	lines;
	BodyLine	line;

	initStringInfo(&out);
	bodylines_init(&lines, body, strlen(body));
	while (bodylines_next(&lines, &line))
	{
		appendBinaryStringInfo(&out, line.sep, line.seplen);
		for (unsigned i = 0; i < line.blank; i++)
			appendStringInfoChar(&out, '\n');
		appendBinaryStringInfo(&out, line.text, line.len);
	}
	return out.data;
}

static int
checksum_id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* "<tag>:<n>[:<item>]...\n", the items sorted: a list counts as a set */
static void
checksum_append_set(StringInfo buf, const char *tag, char *const *items,
					int count)
{
	char	  **sorted = palloc(sizeof(char *) * Max(count, 1));

	/* items is NULL for an empty list: memcpy(x, NULL, 0) is undefined */
	if (count > 0)
		memcpy(sorted, items, sizeof(char *) * count);
	qsort(sorted, count, sizeof(char *), checksum_id_cmp);
	appendStringInfo(buf, "%s:%d", tag, count);
	for (int i = 0; i < count; i++)
		appendStringInfo(buf, ":%s", sorted[i]);
	appendStringInfoChar(buf, '\n');
	pfree(sorted);
}

/* "<tag>:null\n", or "<tag>:<len>:<normalised body>\n" */
static void
checksum_append_body(StringInfo buf, const char *tag, const char *body)
{
	char	   *norm;

	if (body == NULL)
	{
		appendStringInfo(buf, "%s:null\n", tag);
		return;
	}
	norm = migrate_normalize_body(body);
	/* length-prefixed, so no body can imitate the framing */
	appendStringInfo(buf, "%s:%zu:", tag, strlen(norm));
	appendStringInfoString(buf, norm);
	appendStringInfoChar(buf, '\n');
	pfree(norm);
}

#if defined(FRONTEND) && defined(USE_OPENSSL) && OPENSSL_VERSION_NUMBER >= 0x30000000L
/*
 * The client hashes every file on every run.  pg_cryptohash asks OpenSSL 3
 * for the SHA-256 implementation on every init, a lookup under a lock: with
 * the context's allocation and wiping, a fifth of the client's CPU for
 * 1,000 files.  Here it is fetched once per process (the loader thread and
 * the main thread both hash).  The bytes hashed and the digest are the
 * same; only the calls differ.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static bool
sha256_digest(const char *data, size_t len, uint8 *digest, const char **error)
{
	EVP_MD_CTX *ctx;
	unsigned int dlen = 0;
	bool		ok;

	(void) pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md == NULL)
	{
		*error = "OpenSSL has no SHA-256";
		return false;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
	{
		*error = "out of memory";
		return false;
	}
	ok = EVP_DigestInit_ex2(ctx, sha256_md, NULL) == 1 &&
		EVP_DigestUpdate(ctx, data, len) == 1 &&
		EVP_DigestFinal_ex(ctx, digest, &dlen) == 1 &&
		dlen == PG_SHA256_DIGEST_LENGTH;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		*error = "SHA-256 failed";
	return ok;
}
#else
static bool
sha256_digest(const char *data, size_t len, uint8 *digest, const char **error)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	bool		ok = true;

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		*error = pg_cryptohash_error(ctx);
		ok = false;
	}
	pg_cryptohash_free(ctx);
	return ok;
}
#endif

bool
migrate_sha256_hex(const char *data, size_t len, char hex[MIGRATE_CHECKSUM_LEN + 1],
				   const char **error)
{
	static const char hexdigits[] = "0123456789abcdef";
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	StaticAssertStmt(MIGRATE_CHECKSUM_LEN == 2 * PG_SHA256_DIGEST_LENGTH,
					 "a checksum is a hex SHA-256");

	if (!sha256_digest(data, len, digest, error))
		return false;
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		hex[2 * i] = hexdigits[digest[i] >> 4];
		hex[2 * i + 1] = hexdigits[digest[i] & 0xf];
	}
	hex[MIGRATE_CHECKSUM_LEN] = '\0';
	return true;
}

bool
migrate_checksum_hex(const char *upgrade, const char *downgrade,
					 char *const *parents, int nparents,
					 char *const *depends, int ndepends,
					 char *const *labels, int nlabels,
					 bool transactional,
					 char hex[MIGRATE_CHECKSUM_LEN + 1],
					 const char **error)
{
	StringInfoData buf;
	bool		ok;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "migrate-checksum-v1\n");
	appendStringInfo(&buf, "transactional:%s\n", transactional ? "t" : "f");
	checksum_append_set(&buf, "parents", parents, nparents);
	checksum_append_set(&buf, "depends", depends, ndepends);
	checksum_append_set(&buf, "labels", labels, nlabels);
	checksum_append_body(&buf, "upgrade", upgrade);
	checksum_append_body(&buf, "downgrade", downgrade);

	ok = migrate_sha256_hex(buf.data, buf.len, hex, error);
	pfree(buf.data);
	return ok;
}
