/*-------------------------------------------------------------------------
 *
 * ids.c
 *	  The extension's side of ids and checksums: the id rule as an error,
 *	  text[] arguments, the checksum as migrate.add stores it, and the
 *	  fast content hash that validate() checks.
 *
 * The rules themselves are shared with the client, in common/: the id and
 * label rule and the source-name rule (common/idrule.c), the checksum's
 * canonical text and normalisation (common/checksum.c, common/bodylex.h).
 * What is here needs the backend: ereport, arrays, palloc'd results.
 *
 * Everything here is pure computation on the caller's memory context: no
 * catalog access, no locks.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "bodylex.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

/* Raise a clear error unless "id" is valid; "what" names the argument. */
void
migrate_check_id(const char *id, const char *what)
{
	const char *reason;
	size_t		len;

	if (migrate_id_is_valid(id, &reason))
		return;

	len = strlen(id);
	ereport(ERROR,
			(errcode(migrate_is_target_word(id) ? ERRCODE_RESERVED_NAME
					 : ERRCODE_INVALID_NAME),
			 /* shortened on a character boundary: the message must stay valid text */
			 errmsg("invalid %s \"%s%s\"", what,
					len > 64 ? pnstrdup(id, pg_mbcliplen(id, len, 64)) : id,
					len > 64 ? "..." : ""),
			 errdetail_internal("%s", reason)));
}

/*
 * Convert a text[] argument to a palloc'd array of C strings.  NULL means an
 * empty list; NULL elements and multi-dimensional arrays are errors.  Each
 * item is checked by the id rules as "what" (NULL: the caller checks them).
 */
char	  **
migrate_text_array(ArrayType *arr, const char *what, const char *argname,
				   int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	char	  **out;

	*count = 0;
	if (arr == NULL)
		return NULL;
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	out = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", argname)));
		out[i] = TextDatumGetCString(elems[i]);
		if (what != NULL)		/* NULL: the caller checks the items */
			migrate_check_id(out[i], what);
		for (int j = 0; j < i; j++)
			if (strcmp(out[i], out[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s lists \"%s\" twice", argname, out[i])));
	}
	*count = n;
	return out;
}

ArrayType *
migrate_cstring_array(char **items, int count)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(count, 1));

	for (int i = 0; i < count; i++)
		elems[i] = CStringGetTextDatum(items[i]);
	return construct_array(elems, count, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * Hex SHA-256 over the canonical form of a revision's content
 * (common/checksum.c), palloc'd.
 */
char *
migrate_checksum(const char *upgrade, const char *downgrade,
				 char **parents, int nparents,
				 char **depends, int ndepends,
				 char **labels, int nlabels,
				 bool transactional)
{
	char	   *hex = palloc(MIGRATE_CHECKSUM_LEN + 1);
	const char *error;

	if (!migrate_checksum_hex(upgrade, downgrade, parents, nparents,
							  depends, ndepends, labels, nlabels,
							  transactional, hex, &error))
		elog(ERROR, "could not compute SHA-256: %s", error);
	return hex;
}

/*
 * The content hash: a stream of 64-bit words (the normalised content with
 * explicit lengths and counts) folded with MurmurHash3's 64-bit block
 * step, then its finaliser.  Word at a time and no calls: validate() runs it
 * over every body in the catalog, and per-line calls of a general hash
 * function cost more than the heap scan that reads the bodies.
 */
static inline uint64
hash_word(uint64 h, uint64 w)
{
	w *= UINT64CONST(0x87c37b91114253d5);
	w = (w << 31) | (w >> 33);
	w *= UINT64CONST(0x4cf5ad432745937f);
	h ^= w;
	h = (h << 27) | (h >> 37);
	return h * 5 + 0x52dce729;
}

static inline uint64
hash_feed(uint64 h, const char *data, size_t len)
{
	uint64		w;

	for (; len >= sizeof(w); data += sizeof(w), len -= sizeof(w))
	{
		memcpy(&w, data, sizeof(w));
		h = hash_word(h, w);
	}
	if (len > 0)
	{
		w = 0;
		memcpy(&w, data, len);
		h = hash_word(h, w);
	}
	return h;
}

static inline uint64
hash_feed_uint32(uint64 h, uint32 v)
{
	return hash_word(h, (uint64) v | UINT64CONST(0x5a00000000));
}

/* length first, so that concatenations cannot collide by construction */
static inline uint64
hash_chain(uint64 h, const char *data, size_t len)
{
	return hash_feed(hash_feed_uint32(h, (uint32) len), data, len);
}

/*
 * Hash a body the way migrate_normalize_body (common/checksum.c) normalises
 * it (line endings, trailing blanks, blank lines at either end do not
 * count), line by line, without building the normalised copy.
 */
static uint64
hash_normalized(uint64 h, const char *s, int len)
{
	BodyLines	it;
	BodyLine	line;
	uint32		lines = 0;

	bodylines_init(&it, s, (size_t) len);
	while (bodylines_next(&it, &line))
	{
		/* the separator and blank lines before it, as the normalisation writes them */
		if (line.seplen > 0)
			h = hash_chain(h, line.sep, line.seplen);
		h = hash_feed_uint32(h, line.blank);
		h = hash_chain(h, line.text, line.len);
		lines++;
	}
	return hash_feed_uint32(h, lines);
}

/*
 * A fast 64-bit hash of a revision's content (bodies normalised as for the
 * checksum).  Kept beside the checksum so that validate() can tell a
 * catalog row edited outside migrate.add without recomputing SHA-256 over
 * every body: recomputing this costs a pass over the bytes, no allocation.
 * Not a security control: whoever can UPDATE the catalog can update both.
 */
uint64
migrate_content_hash(const char *upgrade, int uplen,
					 const char *downgrade, int downlen,
					 char **parents, int nparents,
					 char **depends, int ndepends,
					 char **labels, int nlabels,
					 bool transactional)
{
	uint64		h = UINT64CONST(0x6d69677261746532);	/* "migrate2" */

	h = hash_normalized(h, upgrade, uplen);
	h = downgrade ? hash_normalized(hash_feed_uint32(h, 1), downgrade, downlen)
		: hash_feed_uint32(h, 0xffffffff);
	h = hash_feed_uint32(h, (uint32) nparents);
	for (int i = 0; i < nparents; i++)
		h = hash_chain(h, parents[i], strlen(parents[i]));
	h = hash_feed_uint32(h, (uint32) ndepends);
	for (int i = 0; i < ndepends; i++)
		h = hash_chain(h, depends[i], strlen(depends[i]));
	h = hash_feed_uint32(h, (uint32) nlabels);
	for (int i = 0; i < nlabels; i++)
		h = hash_chain(h, labels[i], strlen(labels[i]));
	h = hash_feed_uint32(h, transactional ? 1 : 0);
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9a62ca3f2b5);
	h ^= h >> 33;
	return h;
}
