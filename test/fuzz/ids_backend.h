/*
 * The backend functions src/ids.c references beyond palloc and ereport,
 * for a harness that links ids.c outside the server (fuzz_ids.c,
 * fuzz_target.c): hex_encode, which the checksum uses, and the SQL-facing
 * array and text conversions, which no harness reaches and which abort if
 * one does.  Included once, by the harness's own file.
 */
#ifndef MIGRATE_FUZZ_IDS_BACKEND_H
#define MIGRATE_FUZZ_IDS_BACKEND_H

#include <stdio.h>
#include <stdlib.h>

#define UNREACHABLE(name) \
	do { fprintf(stderr, "fuzz harness: backend function %s reached\n", name); abort(); } while (0)

ArrayType  *construct_array(Datum *elems, int nelems, Oid elmtype, int elmlen, bool elmbyval, char elmalign) { UNREACHABLE("construct_array"); return NULL; }
void		deconstruct_array(ArrayType *array, Oid elmtype, int elmlen, bool elmbyval, char elmalign, Datum **elemsp, bool **nullsp, int *nelemsp) { UNREACHABLE("deconstruct_array"); }
text	   *cstring_to_text(const char *s) { UNREACHABLE("cstring_to_text"); return NULL; }
char	   *text_to_cstring(const text *t) { UNREACHABLE("text_to_cstring"); return NULL; }

/* hex_encode lives in the backend (utils/adt/encode.c) */
uint64
hex_encode(const char *src, size_t len, char *dst)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++)
	{
		dst[2 * i] = hex[((unsigned char) src[i]) >> 4];
		dst[2 * i + 1] = hex[((unsigned char) src[i]) & 0xf];
	}
	return (uint64) len * 2;
}

#endif							/* MIGRATE_FUZZ_IDS_BACKEND_H */
