/*-------------------------------------------------------------------------
 *
 * regdigest.c
 *	  The registry digest (regdigest.h), for the extension and the client
 *	  alike.
 *
 * Its canonical text (version 1):
 *
 *	   migrate-registry-v1 <version of migrate>\n
 *	   then per revision, in id order (bytewise), five fields:
 *	   id, checksum, source, message, applied ("t" or "f"),
 *
 * each field "<length>:<bytes>\n", or "-\n" for none, so that no value can
 * imitate the framing and an empty message differs from none.  The digest
 * is its SHA-256 in lower-case hex.  Every digest the client compares
 * depends on this text: change it only with a new version tag (and both
 * sides are built from this file).
 *
 * Built as PostgreSQL builds src/common: with postgres.h into the
 * extension, with postgres_fe.h (FRONTEND) into the client.
 *
 * IDENTIFICATION
 *	  common/regdigest.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "checksum.h"
#include "regdigest.h"

#include "lib/stringinfo.h"

StaticAssertDecl(MIGRATE_REGDIGEST_LEN == MIGRATE_CHECKSUM_LEN,
				 "a registry digest is a hex SHA-256, as a checksum");

struct MigrateRegDigest
{
	StringInfoData buf;
};

MigrateRegDigest *
migrate_regdigest_begin(const char *version)
{
	MigrateRegDigest *d = palloc(sizeof(MigrateRegDigest));

	initStringInfo(&d->buf);
	appendStringInfoString(&d->buf, "migrate-registry-v1 ");
	appendStringInfoString(&d->buf, version);
	appendStringInfoChar(&d->buf, '\n');
	return d;
}

/* "<length>:<bytes>\n", or "-\n"; the length without a printf per field */
static void
append_field(StringInfo buf, const char *s)
{
	char		num[24];
	int			n = 0;
	size_t		len;

	if (s == NULL)
	{
		appendBinaryStringInfo(buf, "-\n", 2);
		return;
	}
	len = strlen(s);
	do
	{
		num[sizeof(num) - 1 - n++] = (char) ('0' + len % 10);
		len /= 10;
	} while (len > 0);
	appendBinaryStringInfo(buf, num + sizeof(num) - n, n);
	appendStringInfoChar(buf, ':');
	appendBinaryStringInfo(buf, s, (int) strlen(s));
	appendStringInfoChar(buf, '\n');
}

void
migrate_regdigest_add(MigrateRegDigest *d, const char *id,
					  const char *checksum, const char *source,
					  const char *message, bool applied)
{
	append_field(&d->buf, id);
	append_field(&d->buf, checksum);
	append_field(&d->buf, source);
	append_field(&d->buf, message);
	append_field(&d->buf, applied ? "t" : "f");
}

bool
migrate_regdigest_end(MigrateRegDigest *d, char hex[MIGRATE_REGDIGEST_LEN + 1],
					  const char **error)
{
	bool		ok = migrate_sha256_hex(d->buf.data, d->buf.len, hex, error);

	pfree(d->buf.data);
	pfree(d);
	return ok;
}
