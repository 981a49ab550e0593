/*-------------------------------------------------------------------------
 *
 * fingerprint.h
 *	  What fingerprint.c (the catalogs read first, the relation lines, the
 *	  hash) and fingerprint_parts.c (constraints, indexes, triggers,
 *	  policies, rules, functions, types) share: the objects read so far, by
 *	  OID, and the lines they hold.  Private to those two files.
 *
 * IDENTIFICATION
 *	  src/fingerprint.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_FINGERPRINT_H
#define MIGRATE_FINGERPRINT_H

#include "access/genam.h"
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

/* Kinds of object within a schema, in the order they are hashed. */
#define FP_REL		1			/* relations and indexes (one namespace) */
#define FP_TYPE		2
#define FP_FN		3

typedef struct FpNsp
{
	char	   *name;
	char	   *q;				/* quoted */
} FpNsp;

/* A part of an object (constraint, trigger, policy, rule): its line. */
typedef struct FpPart
{
	const char *name;
	char	   *line;
} FpPart;

/*
 * One object of a schema, what the lines are sorted by: schema, kind,
 * name, then subname (a function's arguments).  Its lines: "rel" (a
 * relation or index, whose lines are made when hashed), or "line"; then
 * its parts, sorted by name.
 */
typedef struct FpObj
{
	const char *nsp;
	int			kind;
	const char *name;
	const char *subname;
	struct FpRel *rel;
	char	   *line;
	List	   *parts;			/* FpPart * */
} FpObj;

typedef struct FpCol
{
	char	   *name;			/* NULL: dropped, or none */
	Oid			typid;
	int32		typmod;
	Oid			collation;
	bool		notnull;
	char		identity;
	char		generated;
	char	   *acl;
	char	   *def;
} FpCol;

typedef struct FpRel
{
	Oid			oid;
	FpNsp	   *nsp;
	char	   *name;
	char		relkind;
	char		persistence;
	bool		rls;
	bool		forcerls;
	Oid			owner;
	Oid			am;
	char	   *acl;
	char	   *options;
	text	   *partbound;
	int			natts;
	FpCol	   *cols;			/* [natts], by attnum - 1 */
	List	   *parents;		/* qualified names */
	char	   *line;			/* an index's, made by its scan */
	List	   *parts;			/* FpPart * */
} FpRel;

typedef struct FpType
{
	FpNsp	   *nsp;
	char	   *name;
	int			obj;			/* its index in FpState.objs */
} FpType;

typedef struct FpTypeFmt
{
	struct
	{
		Oid			typid;
		int32		typmod;
	}			key;
	char	   *text;
	Oid			collation;		/* the type's own */
} FpTypeFmt;

/* An OID -> pointer map (simplehash: open addressing, inline). */
typedef struct FpOidEntry
{
	Oid			oid;
	char		status;
	void	   *ptr;
} FpOidEntry;

#define SH_PREFIX fpoid
#define SH_ELEMENT_TYPE FpOidEntry
#define SH_KEY_TYPE Oid
#define SH_KEY oid
#define SH_HASH_KEY(tb, key) murmurhash32(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct FpMember
{
	Oid			classid;
	Oid			objid;
} FpMember;

typedef struct FpMemberEntry
{
	FpMember	key;
	char		status;
} FpMemberEntry;

#define SH_PREFIX fpmem
#define SH_ELEMENT_TYPE FpMemberEntry
#define SH_KEY_TYPE FpMember
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_combine(murmurhash32((k).classid), murmurhash32((k).objid))
#define SH_EQUAL(tb, a, b) ((a).classid == (b).classid && (a).objid == (b).objid)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct FpState
{
	Snapshot	snap;
	fpoid_hash *nsps;			/* FpNsp * of the schemas kept */
	fpoid_hash *rels;			/* FpRel * of the relations and indexes kept */
	fpoid_hash *types;			/* FpType * of the types kept */
	fpmem_hash *members;		/* objects of extensions */
	HTAB	   *typefmt;
	FpTypeFmt  *typecache[64];
	HTAB	   *exprs;
	StringInfoData exprbuf;
	FpObj	   *objs;
	int			nobjs;
	int			maxobjs;
	Oid			last_role;
	char	   *last_role_name;
	Oid			last_nsp_oid;
	FpNsp	   *last_nsp;
	Oid			last_rel_oid;
	FpRel	   *last_rel;
	Oid			last_am;
	char	   *last_am_name;
} FpState;

extern int	fp_add_obj(FpState *st, const char *nsp, int kind, const char *name,
					   const char *subname, char *line);
extern void fp_add_part(List **parts, const char *name, char *line);
extern int	fp_cstring_cmp(const void *a, const void *b);
extern char *fp_call_text(PGFunction fn, int nargs, Datum arg1, Datum arg2);
extern char *fp_get_expr(Datum expr, Oid relid);
extern const char *fp_role_name(FpState *st, Oid roleid);
extern char *fp_acl_text(Datum d, bool isnull, ObjectType objtype, Oid owner);
extern FpTypeFmt *fp_type_fmt(FpState *st, Oid typid, int32 typmod);
extern char *fp_collation_name(Oid collid);
extern char *fp_opclass_name(Oid opclass);
extern SysScanDesc fp_scan_begin(FpState *st, Oid catalog, Relation *rel, int nkeys, ScanKey keys);
extern void fp_scan_end(SysScanDesc scan, Relation rel);
extern bool fp_is_member(FpState *st, Oid classid, Oid objid);
extern FpNsp *fp_find_nsp(FpState *st, Oid nspoid);
extern FpRel *fp_find_rel(FpState *st, Oid relid);
extern FpRel *fp_get_rel(FpState *st, Oid relid);
extern HTAB *fp_exprs_create(MemoryContext cxt);
extern void fp_scan_attrdefs(FpState *st);
extern void fp_scan_constraints(FpState *st);
extern void fp_scan_indexes(FpState *st);
extern void fp_scan_triggers(FpState *st);
extern void fp_scan_policies(FpState *st);
extern void fp_scan_rules(FpState *st);
extern void fp_scan_functions(FpState *st);
extern void fp_scan_types(FpState *st);

#endif							/* MIGRATE_FINGERPRINT_H */
