/*-------------------------------------------------------------------------
 *
 * ids.c
 *	  Rules for revision ids and branch labels, conversion of text[]
 *	  arguments, body normalisation and revision checksums.
 *
 * Everything here is pure computation on the caller's memory context: no
 * catalog access, no locks.  The id rules are the contract's: 1 to 128
 * characters of [A-Za-z0-9_.-], starting with a letter or digit, and not a
 * target word (head, heads, base, in any case).
 *
 * The checksum covers what makes two revisions "identical": the normalised
 * bodies, the parents, dependencies and labels (as sets), and the
 * transactional flag.  Normalisation makes line endings and trailing
 * whitespace irrelevant, so a file reformatted by an editor or checked out
 * with CRLF endings is not a changed revision.
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"
#include "bodylex.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

static const char *const target_words[] = {"head", "heads", "base"};

bool
migrate_is_target_word(const char *s)
{
	for (int i = 0; i < lengthof(target_words); i++)
		if (pg_strcasecmp(s, target_words[i]) == 0)
			return true;
	return false;
}

static inline bool
id_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * Is "id" a valid revision id or branch label?  On failure *reason is set to
 * a full sentence suitable for errdetail.
 */
bool
migrate_id_is_valid(const char *id, const char **reason)
{
	size_t		len = strlen(id);

	if (len == 0)
	{
		*reason = "An id must not be empty.";
		return false;
	}
	if (len > MIGRATE_ID_MAXLEN)
	{
		*reason = "An id has at most 128 characters.";
		return false;
	}
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
		  (id[0] >= '0' && id[0] <= '9')))
	{
		*reason = "An id starts with a letter or a digit.";
		return false;
	}
	for (size_t i = 0; i < len; i++)
	{
		if (!id_char_ok((unsigned char) id[i]))
		{
			*reason = "An id consists of ASCII letters, digits, \"_\", \".\" and \"-\".";
			return false;
		}
	}
	if (migrate_is_target_word(id))
	{
		*reason = "The words head, heads and base are targets and cannot be ids or labels.";
		return false;
	}
	return true;
}

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
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
append_sorted_list(StringInfo buf, const char *tag, char **items, int count)
{
	char	  **sorted = palloc(sizeof(char *) * Max(count, 1));

	/* items is NULL for an empty list: memcpy(x, NULL, 0) is undefined */
	if (count > 0)
		memcpy(sorted, items, sizeof(char *) * count);
	qsort(sorted, count, sizeof(char *), cstring_cmp);
	appendStringInfo(buf, "%s:%d", tag, count);
	for (int i = 0; i < count; i++)
		appendStringInfo(buf, ":%s", sorted[i]);
	appendStringInfoChar(buf, '\n');
	pfree(sorted);
}

static void
append_body(StringInfo buf, const char *tag, const char *body)
{
	if (body == NULL)
	{
		appendStringInfo(buf, "%s:null\n", tag);
		return;
	}
	{
		char	   *norm = migrate_normalize_body(body);

		/* length-prefixed, so no body can imitate the framing */
		appendStringInfo(buf, "%s:%zu:", tag, strlen(norm));
		appendStringInfoString(buf, norm);
		appendStringInfoChar(buf, '\n');
		pfree(norm);
	}
}

/* Hex SHA-256 over the canonical form of a revision's content. */
char *
migrate_checksum(const char *upgrade, const char *downgrade,
				 char **parents, int nparents,
				 char **depends, int ndepends,
				 char **labels, int nlabels,
				 bool transactional)
{
	StringInfoData buf;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex;
	pg_cryptohash_ctx *ctx;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "migrate-checksum-v1\n");
	appendStringInfo(&buf, "transactional:%s\n", transactional ? "t" : "f");
	append_sorted_list(&buf, "parents", parents, nparents);
	append_sorted_list(&buf, "depends", depends, ndepends);
	append_sorted_list(&buf, "labels", labels, nlabels);
	append_body(&buf, "upgrade", upgrade);
	append_body(&buf, "downgrade", downgrade);

	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (uint8 *) buf.data, buf.len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	pfree(buf.data);

	hex = palloc(MIGRATE_CHECKSUM_LEN + 1);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[MIGRATE_CHECKSUM_LEN] = '\0';
	return hex;
}

/*
 * Does a file name given as "source" declare "id"?  The file-name part
 * (after the last / or \) must be the id, or the id followed by _, - or .
 */
bool
migrate_source_matches(const char *source, const char *id)
{
	const char *base = source;
	size_t		idlen = strlen(id);

	for (const char *p = source; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;

	if (strncmp(base, id, idlen) != 0)
		return false;
	return base[idlen] == '\0' || base[idlen] == '_' ||
		base[idlen] == '-' || base[idlen] == '.';
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
 * Hash a body the way migrate_normalize_body normalises it (line endings,
 * trailing blanks, blank lines at either end do not count), line by line,
 * without building the normalised copy.
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
