/*-------------------------------------------------------------------------
 *
 * chain.h
 *	  The chain rules of validate(): what is wrong, or worth saying, about
 *	  the way a set of revisions links up, judged from the revisions alone.
 *
 * One implementation for the extension's migrate.validate() (over its
 * revision graph, src/validate.c) and for "pg_migrate check --offline"
 * (over the files, client/cmd_check.c): the same codes, severities and
 * messages on both sides, so a chain that one passes the other passes.
 *
 * The rules (code, severity):
 *	  missing_parent       error    a parent that is not a revision
 *	  missing_dependency   error    a dependency that is not a revision
 *	  source_mismatch      error    the file named for another id (idrule.h)
 *	  duplicate_label      error    a branch label on several revisions
 *	  cycle                error    through parents and dependencies
 *	  multiple_heads       warning  info when every head lies on a branch
 *	                                of its own label
 *	  multiple_bases       warning  info when every base does
 *	  irreversible         info     no downgrade
 * What needs the database (applied state, checksums, parsed bodies) stays
 * with the extension.
 *
 * The caller shows its revisions through a MigrateChainView: a count and a
 * function that describes revision i, with its parents and dependencies as
 * indexes; the rules never look an id up, so they add no hashing to the
 * caller's own.  Findings go to a callback.  This header needs no
 * PostgreSQL header; chain.c is built as src/common is (postgres.h in the
 * extension, postgres_fe.h in the client).
 *
 * IDENTIFICATION
 *	  common/chain.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_CHAIN_H
#define MIGRATE_CHAIN_H

#include <stdbool.h>

typedef enum MigrateSeverity
{
	MIGRATE_ERROR = 0,
	MIGRATE_WARNING = 1,
	MIGRATE_INFO = 2
} MigrateSeverity;

/* One finding, as validate() returns it. */
typedef struct MigrateFinding
{
	MigrateSeverity severity;
	const char *code;
	char	   *revision;		/* NULL: about the whole chain */
	char	   *message;
} MigrateFinding;

extern const char *migrate_severity_name(MigrateSeverity s);

/*
 * validate()'s order, for qsort over MigrateFinding: severity, code,
 * revision (none first), message.
 */
extern int	migrate_finding_cmp(const void *a, const void *b);

/* Revision "index" of a chain, as the rules see it. */
typedef struct MigrateChainRevision
{
	const char *id;
	const char *source;			/* where it was loaded from, or NULL */
	char	   *const *parents; /* nparents ids, as declared */
	const int  *parent_idx;		/* their indexes; -1: not a revision */
	char	   *const *depends;
	const int  *depend_idx;		/* -1: not a revision; below -1: a
								 * revision of another project
								 * ("project:id"), which the caller judges */
	char	   *const *labels;
	int			nparents;
	int			ndepends;
	int			nlabels;
	bool		has_downgrade;
} MigrateChainRevision;

/*
 * Fill *out for revision "index" (0 .. nrevs - 1) and return true, or
 * return false if there is no revision to judge at that index.  An index
 * >= 0 in parent_idx or depend_idx must be one for which it returns true.
 * What *out points to must stay valid during migrate_chain_findings().
 */
typedef bool (*MigrateChainRevisionFn) (const void *chain, int index,
										MigrateChainRevision *out);

typedef struct MigrateChainView
{
	int			nrevs;
	MigrateChainRevisionFn revision;
	const void *chain;			/* passed to revision() */

	/*
	 * true if the caller knows there is no cycle through parents and
	 * dependencies (the extension's graph.c looks for them as it orders the
	 * revisions): the search is skipped.  false: the rules search.
	 */
	bool		acyclic;
} MigrateChainView;

/*
 * A finding: "revision" (NULL for the chain as a whole) points into the
 * view's strings, copy it to keep it; "message" is palloc'd (malloc'd in
 * a frontend program) and the callback's to keep or free.
 */
typedef void (*MigrateFindingFn) (void *arg, MigrateSeverity severity,
								  const char *code, const char *revision,
								  char *message);

/*
 * Apply the chain rules to the view's revisions, in time linear in
 * revisions + edges (plus one walk per labelled revision, at most 1,000,
 * when there are several heads or bases).  A sound chain costs one call of
 * revision() per revision and a byte of scratch memory per revision; the
 * edges are copied only for a search (cycles, labels).  Findings come in no
 * particular order: sort them with migrate_finding_cmp.
 */
extern void migrate_chain_findings(const MigrateChainView *view,
								   MigrateFindingFn emit, void *arg);

#endif							/* MIGRATE_CHAIN_H */
