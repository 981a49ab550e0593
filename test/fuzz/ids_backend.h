/*
 * The backend functions src/ids.c references beyond palloc and ereport,
 * for a harness that links ids.c outside the server (fuzz_ids.c,
 * fuzz_target.c): the SQL-facing array and text conversions, which no
 * harness reaches and which abort if one does.  Included once, by the
 * harness's own file.
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

#endif							/* MIGRATE_FUZZ_IDS_BACKEND_H */
