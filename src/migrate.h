/*-------------------------------------------------------------------------
 *
 * migrate.h
 *	  Declarations shared by the files of the migrate extension.
 *
 * Layout of src/ (one file per concern; families share a header):
 *	  migrate.c     module entry point, settings (GUCs)
 *	  fmgr_util.c   SRF setup and argument helpers every SQL function uses
 *	  ids.c         ids as errors, text[] arguments, checksums, content hash
 *	  body.c        parsing revision bodies with PostgreSQL's raw parser
 *	  subxact.c     the one subtransaction helper and lock-timeout retry loop
 *	  catalog.c     every read of the catalog (graph, serializable check,
 *	                bodies) and the context of the extension's writes
 *	  runlog.c      every write to migrate.run, run_step and applied
 *	  lock.c        the migration lock (advisory)
 *	  graph.c       the in-memory revision graph: edges, order, cycles
 *	  target.c      Alembic's target grammar
 *	  plan.c        the plans a target yields (upgrade, downgrade, stamp)
 *	  registry.c    migrate.add / migrate.remove, migrate_register()
 *	  revfile_sql.c migrate.add_file
 *	  noop.c        the no-op shortcut of upgrade('head')
 *	  status.c      current / heads / bases / history / status / resolve /
 *	                plan
 *	  validate.c    validate / check
 *	  projects.c    projects: dependency names across projects, their
 *	                state, migrate.projects()
 *	  commit_boundary.c  where a plan needs a commit between two bodies
 *	                (an enum value added, then used)
 *	  engine.h      the apply family, sharing steps.c:
 *	    steps.c     a run's plan, bodies and progress
 *	    apply.c     upgrade / downgrade / stamp in the caller's transaction
 *	    run.c       CALL migrate.run: one transaction per revision
 *	    script.c    migrate.sql: the offline script
 *	    stmtguard.c around each statement of a body (statement_timeout,
 *	                standard_conforming_strings)
 *	    execstmt.c  a body's statements run from their parse trees
 *	  schema.c      the *_exists helpers: names resolved as SQL does
 *	  ensure.c      ensure(): create, or compare by definition (ensure.h);
 *	                each kind's comparison in ensure_index.c, ensure_table.c
 *	                (tables, added columns), ensure_enum.c, ensure_schema.c
 *	                (schemas, extensions)
 *	  verify.c      verify(): the health report
 *	  ddl_log.c     the DDL ledger's event triggers (migrate.ddl_log)
 *	  fingerprint.c fingerprint(): a hash of the database's own schema
 *	  drift.c       drift() and blame(): reading the ledger
 *	  version.c     the library's version against the catalog's
 *	  rights.c      the role boundary (whose rights a body runs with) and
 *	                who may read private run text (errors, checksums)
 *	  settings.c    every setting of the session, saved and put back
 *	                around a non-transactional revision
 *
 * Shared with the client (pg_migrate), in ../common/: the id, label and
 * source-name rules (idrule.c), the checksum (checksum.c, bodylex.h), the
 * chain rules of validate() (chain.c), the revision-file parser
 * (revfile.c) and the lock key (lockkey.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "chain.h"
#include "checksum.h"
#include "idrule.h"

#define MIGRATE_SCHEMA			"migrate"

/* settings (migrate.c) */
extern int	migrate_lock_wait_ms;
extern int	migrate_lock_timeout_ms;
extern int	migrate_lock_retries;
extern bool migrate_report_memory;
extern char *migrate_default_project;
extern bool migrate_track_ddl;
extern int	migrate_ddl_log_retention_min;
extern void migrate_ddl_log_retention_changed(int newval, void *extra);

/* ---------------------------------------------------------------------
 * Revision graph (graph.c)
 * ---------------------------------------------------------------------
 */

/* One revision, registered or only recorded as applied. */
typedef struct MigrateRevision
{
	/* (pointers, then 8-byte, 4-byte and 1-byte fields: no padding holes) */
	char	   *id;

	/* as declared; *_idx hold graph indexes, -1 where not registered */
	char	  **parents;
	int		   *parent_idx;
	char	  **depends;
	int		   *depend_idx;
	char	  **labels;

	/* reverse edges, filled by migrate_graph_link() */
	int		   *children;
	int		   *dependents;

	char	   *message;
	char	   *source;
	char	   *checksum;
	char	   *upgrade_problem;
	char	   *downgrade_problem;
	char	   *upgrade;		/* NULL unless loaded with bodies */
	char	   *downgrade;
	char	   *applied_checksum;
	TimestampTz registered_at;
	TimestampTz applied_at;

	int			nparents;
	int			ndepends;
	int			nlabels;
	int			nchildren;
	int			ndependents;
	int			topo_pos;		/* position in graph->topo, -1 if none */

	bool		has_downgrade;
	bool		transactional;
	bool		registered;		/* false: only in migrate.applied */
	bool		applied;
	bool		content_edited; /* MIGRATE_LOAD_VERIFY: stored content no
								 * longer matches its content_hash */
	bool		may_add_enum_value; /* MIGRATE_LOAD_VERIFY: the upgrade body
									 * has the words ADD VALUE */
	bool		upgrade_empty;	/* MIGRATE_LOAD_VERIFY: the upgrade body has
								 * no statement */
} MigrateRevision;

struct revhash_hash;
typedef struct MigrateGraphMemory MigrateGraphMemory;

/*
 * A dependency on another project's revision ("project:id" in depends_on).
 * It is never part of the graph (targets and plans see one project); only
 * its state is known.  A revision's depend_idx[j] for it is
 * MIGRATE_DEP_EXTERNAL(k), k its index in graph->externals.
 */
typedef struct MigrateExternal
{
	char	   *name;			/* "project:id", as declared */
	char	   *project;
	char	   *id;
	bool		registered;		/* registered in its project */
	bool		applied;		/* applied in its project */
} MigrateExternal;

#define MIGRATE_DEP_EXTERNAL(k)			(-2 - (k))
#define MIGRATE_DEP_IS_EXTERNAL(d)		((d) <= -2)
#define MIGRATE_DEP_EXTERNAL_INDEX(d)	(-2 - (d))

/*
 * A graph and everything in it lives in graph memory (graph.c): blocks the
 * backend keeps for the next graph, or the graph's own.  "cxt" is for
 * small palloc'd things of the graph's lifetime; migrate_graph_alloc() for
 * the many strings and arrays of a load.  Freed by migrate_graph_free(),
 * or when the context the graph was created under is reset or deleted;
 * never delete "cxt".
 */
typedef struct MigrateGraph
{
	MigrateGraphMemory *mem;
	MemoryContext cxt;
	const char *project;		/* the one project loaded */
	MigrateRevision *revs;
	int			nrevs;
	int			capacity;
	struct revhash_hash *byid;
	int			nindexed;		/* revs[0 .. nindexed) are in byid */

	/* filled by migrate_graph_link() */
	int		   *topo;			/* registered revisions, ancestors first */
	int			ntopo;
	List	   *cycles;			/* List of int-List (graph indexes) */
	bool		bodies_loaded;
	bool		content_verified;	/* content_edited is meaningful */

	/* dependencies on other projects' revisions (projects.c) */
	MigrateExternal *externals;
	int			nexternals;

	const char *probe;			/* the id a lookup is after (graph.c) */
} MigrateGraph;

extern MigrateGraph *migrate_graph_create(MemoryContext parent, int expected);
extern MigrateRevision *migrate_graph_add(MigrateGraph *graph, const char *id,
										  bool *found);
extern MigrateRevision *migrate_graph_append(MigrateGraph *graph, char *id);
extern void migrate_graph_index_appended(MigrateGraph *graph);
extern int	migrate_graph_find(MigrateGraph *graph, const char *id);
extern void *migrate_graph_alloc(MigrateGraph *graph, Size size, bool aligned);
extern char *migrate_graph_strndup(MigrateGraph *graph, const char *s, Size len);
extern void migrate_graph_link(MigrateGraph *graph);
extern void migrate_graph_free(MigrateGraph *graph, const char *caller);
extern bool migrate_is_head(MigrateGraph *graph, int idx);
extern bool migrate_is_base(MigrateGraph *graph, int idx);
extern bool migrate_is_current(MigrateGraph *graph, int idx);
extern bool migrate_state_top(MigrateGraph *graph, const bool *state, int idx);
extern int *migrate_graph_heads(MigrateGraph *graph, int *count);
extern int *migrate_graph_bases(MigrateGraph *graph, int *count);
extern int *migrate_graph_currents(MigrateGraph *graph, int *count);
extern void migrate_sort_by_id(MigrateGraph *graph, int *idx, int count);
extern char *migrate_join_ids(MigrateGraph *graph, const int *idx, int count,
							  const char *sep);

/* Mark-sets over graph indexes, used by closures and plans. */
extern void migrate_ancestors(MigrateGraph *graph, const int *start, int nstart,
							  bool include_start, bool stop_at_applied,
							  bool *mark);
extern void migrate_descendants(MigrateGraph *graph, const int *start,
								int nstart, bool include_start,
								bool with_dependents, bool *mark);
extern void migrate_parent_ancestors(MigrateGraph *graph, const int *start,
									 int nstart, bool *mark);

/* ---------------------------------------------------------------------
 * Catalog access (catalog.c)
 * ---------------------------------------------------------------------
 */
extern Oid	migrate_schema_oid(void);
extern Oid	migrate_relid(const char *relname);
#define MIGRATE_LOAD_TEXT	0x01	/* message, source, checksum, verdicts */
#define MIGRATE_LOAD_BODIES	0x02	/* upgrade and downgrade bodies */
#define MIGRATE_LOAD_VERIFY	0x04	/* check bodies against content_hash */
extern MigrateGraph *migrate_load_graph(MemoryContext parent,
										const char *project, bool with_bodies);
extern MigrateGraph *migrate_load_graph_ext(MemoryContext parent,
											const char *project, int flags);
extern void migrate_check_serializable(const char *project);

/*
 * Bookkeeping writes run as the extension's owner with search_path pinned to
 * pg_catalog, whatever role or search_path the caller (or a body) has set.
 */
typedef struct MigrateBookkeeping
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	bool		spi_connected;
} MigrateBookkeeping;

/* the migration lock of a project (lock.c; its key: common/lockkey.h) */
extern void migrate_lock_acquire(const char *project);
extern void migrate_lock_acquire_shared(const char *project);
extern void migrate_session_lock_acquire(const char *project);
extern void migrate_session_lock_release(const char *project);
extern bool migrate_lock_held(const char *project);
extern void migrate_session_lock_check(const char *project, const char *revision);
extern void migrate_extension_lock_acquire(void);
extern void migrate_extension_lock_release(void);

extern Oid	migrate_catalog_owner(void);
extern void migrate_bookkeeping_begin(MigrateBookkeeping *bk);
extern void migrate_bookkeeping_end(MigrateBookkeeping *bk);
extern void migrate_caller_query_begin(MigrateBookkeeping *bk);
extern char *migrate_query_text_value(bool as_owner, const char *sql, int nargs,
									  Oid *argtypes, Datum *values,
									  const char *nulls);

/* ---------------------------------------------------------------------
 * Ids and checksums (ids.c)
 * ---------------------------------------------------------------------
 */
extern void migrate_check_id(const char *id, const char *what);
extern char *migrate_checksum(const char *upgrade, const char *downgrade,
							  char **parents, int nparents,
							  char **depends, int ndepends,
							  char **labels, int nlabels,
							  bool transactional);
extern uint64 migrate_content_hash(const char *upgrade, int uplen,
								   const char *downgrade, int downlen,
								   char **parents, int nparents,
								   char **depends, int ndepends,
								   char **labels, int nlabels,
								   bool transactional);
extern char **migrate_text_array(ArrayType *arr, const char *what,
								 const char *argname, int *count);
extern ArrayType *migrate_cstring_array(char **items, int count);

/* ---------------------------------------------------------------------
 * Registration (registry.c): migrate.add's work, shared with add_file
 * ---------------------------------------------------------------------
 */
typedef enum MigrateRegisterResult
{
	MIGRATE_REGISTER_UNCHANGED,	/* identical revision already registered */
	MIGRATE_REGISTER_REFRESHED, /* identical; message or source updated */
	MIGRATE_REGISTER_ADDED,		/* new revision */
	MIGRATE_REGISTER_REPLACED	/* unapplied revision with changed content */
} MigrateRegisterResult;

extern MigrateRegisterResult migrate_register(const char *project,
											  const char *id,
											  const char *upgrade,
											  const char *downgrade,
											  char **parents, int nparents,
											  const char *message,
											  char **labels, int nlabels,
											  char **depends, int ndepends,
											  bool transactional,
											  const char *source);

/* ---------------------------------------------------------------------
 * Bodies (body.c)
 * ---------------------------------------------------------------------
 */
extern char *migrate_body_problem(const char *body, bool transactional);
extern List *migrate_body_statements(const char *body);
extern List *migrate_try_parse_body(const char *body, ErrorData **error);
extern bool migrate_statements_problem(const char *body, List *stmts,
									   bool transactional, int *sqlerrcode,
									   char **message, int *location);
extern int	migrate_statement_start(const char *body, int location);
extern bool migrate_statement_needs_top_level(Node *stmt);

/* ---------------------------------------------------------------------
 * Targets (target.c) and plans (plan.c)
 * ---------------------------------------------------------------------
 */
typedef enum MigrateDirection
{
	MIGRATE_UP,
	MIGRATE_DOWN,
	MIGRATE_ANY					/* stamp: any target form */
} MigrateDirection;

/* A resolved target: a set of revisions, or "base" (nothing). */
typedef struct MigrateTarget
{
	bool		is_base;
	int			nrevs;
	int		   *revs;
	/* for <label>@base and relative downgrades: exact set to revert */
	bool		has_revert_set;
	bool	   *revert_set;
} MigrateTarget;

/* range.c: ranges "A:B" for migrate.history() and migrate.sql() */
/* a range has a colon, which no id, label or target word has */
static inline bool
migrate_target_is_range(const char *target)
{
	return target != NULL && strchr(target, ':') != NULL;
}
extern void migrate_range_split(const char *range, char **from, char **to);
extern bool *migrate_range_state(MigrateGraph *graph, const char *end,
								 bool empty_is_heads);
extern bool *migrate_range_members(MigrateGraph *graph, const char *range);
extern void migrate_graph_assume_state(MigrateGraph *graph, const bool *state);

extern MigrateTarget *migrate_resolve_target(MigrateGraph *graph,
											 const char *target,
											 MigrateDirection dir);
extern int *migrate_plan_upgrade(MigrateGraph *graph, MigrateTarget *target,
								 int *count);
extern int *migrate_plan_downgrade(MigrateGraph *graph, MigrateTarget *target,
								   int *count);
extern void migrate_plan_stamp(MigrateGraph *graph, MigrateTarget *target,
							   int **add, int *nadd, int **del, int *ndel);

/* A plan's bodies (catalog.c), reported per position k in the ids given. */
typedef void (*MigrateBodyFound) (void *arg, int k, char *body,
								  char *message, char *checksum,
								  char *registered_by);
extern void migrate_read_bodies(const char *project, char **ids, int n,
								MigrateDirection dir,
								MigrateBodyFound found, void *arg);

/* ---------------------------------------------------------------------
 * The no-op shortcut (noop.c)
 * ---------------------------------------------------------------------
 */
extern int64 migrate_catalog_generation(void);
extern bool migrate_noop_known(const char *project, bool single_head);
extern void migrate_noop_remember(const char *project, bool single_head,
								  int64 generation);

/* ---------------------------------------------------------------------
 * fmgr glue (fmgr_util.c)
 * ---------------------------------------------------------------------
 */
extern void migrate_srf_init(FunctionCallInfo fcinfo);
extern char *migrate_target_arg(FunctionCallInfo fcinfo, int argno);
extern MigrateDirection migrate_direction_arg(FunctionCallInfo fcinfo, int argno);
extern char *migrate_required_text_arg(FunctionCallInfo fcinfo, int argno,
									   const char *argname);
extern char *migrate_optional_text_arg(FunctionCallInfo fcinfo, int argno);
extern ArrayType *migrate_optional_array_arg(FunctionCallInfo fcinfo, int argno);
extern const char *migrate_project_arg(FunctionCallInfo fcinfo, int argno);
extern char *migrate_clip(const char *s, int maxchars);

/* ---------------------------------------------------------------------
 * Subtransactions (subxact.c)
 * ---------------------------------------------------------------------
 */
typedef void (*MigrateSubxactFn) (void *arg);
typedef char *(*MigrateDescribeFn) (void *arg);
extern bool migrate_subxact_try(MigrateSubxactFn fn, void *arg,
								ErrorData **error);
extern ErrorData *migrate_subxact_with_lock_retries(MigrateSubxactFn fn,
													void *arg,
													const char *what,
													int *tries);
extern ErrorData *migrate_subxact_with_lock_retries_described(MigrateSubxactFn fn,
															  void *arg,
															  MigrateDescribeFn describe,
															  int *tries);
extern bool migrate_is_lock_timeout(const ErrorData *edata);

/* ---------------------------------------------------------------------
 * Commit boundaries (commit_boundary.c)
 *
 * A value added by ALTER TYPE ... ADD VALUE cannot be used before the
 * transaction that added it commits.  migrate_commit_boundaries() finds,
 * in bodies given in the order they run, each pair (adder, user): body
 * "adder" adds a value that a later body "user" (with same_body, also a
 * later statement of the adder itself) names in a string constant.  The
 * rule is conservative: see commit_boundary.c.  bodies[k] is the text of
 * body k (NULL to skip it), stmts[k] its RawStmt list (NIL when not
 * parsed: it then adds nothing and *_stmt of its uses is -1).  Used by
 * upgrade() (refuses such a plan), the offline script (commits between),
 * validate() (enum_value_used_too_early) and lint.
 * ---------------------------------------------------------------------
 */
typedef struct MigrateCommitBoundary
{
	int			adder;			/* index of the body that adds the value */
	int			adder_stmt;		/* its statement (0-based) */
	int			user;			/* index of the body that uses it */
	int			user_stmt;		/* its statement (0-based), -1 if unknown */
	char	   *type_name;		/* the enum type, as written in ALTER TYPE */
	char	   *label;			/* the value */
} MigrateCommitBoundary;

extern MigrateCommitBoundary *migrate_commit_boundaries(const char *const *bodies,
														List *const *stmts,
														int n, bool same_body,
														int *count);
extern char *migrate_enum_value_added(Node *stmt, char **type_name);
extern bool migrate_text_may_add_enum_value(const char *text, size_t len);

/* ---------------------------------------------------------------------
 * Validation (validate.c; MigrateFinding and the chain rules: chain.h)
 * ---------------------------------------------------------------------
 */
extern MigrateFinding *migrate_validate_graph(MigrateGraph *graph, int *count);

/* ---------------------------------------------------------------------
 * The run log (runlog.c): migrate.run, run_step and applied
 * ---------------------------------------------------------------------
 */

/* What the run log records of a run. */
typedef struct MigrateRunInfo
{
	const char *project;
	const char *kind;			/* upgrade / downgrade / stamp */
	const char *target;
	TimestampTz started_at;
	Datum		from_heads;		/* text[] */
	const char *db_user;
	int64		run_id;			/* taken by migrate_runlog_next_run_id, or 0 */
	const char *fingerprint;	/* the schema fingerprint the run left, or NULL */
} MigrateRunInfo;

/* What the run log records of one revision run. */
typedef struct MigrateStepInfo
{
	const char *project;
	const char *revision;
	const char *checksum;
	TimestampTz started_at;
	int64		duration_us;
} MigrateStepInfo;

extern void migrate_runlog_mark_interrupted(const char *project,
											int64 own_run_id);
extern int64 migrate_runlog_begin(const MigrateRunInfo *run);
extern int64 migrate_runlog_succeeded(const MigrateRunInfo *run, Datum to_heads,
									  MigrateDirection dir,
									  const MigrateStepInfo *steps, int nsteps);
extern void migrate_runlog_stamp(int64 run_id, const char *project,
								 const char *db_user,
								 char **add_ids, char **add_sums, int nadd,
								 char **del_ids, int ndel);
extern void migrate_runlog_step(int64 run_id, int stepno, MigrateDirection dir,
								const MigrateStepInfo *step,
								const char *db_user, bool succeeded);
extern void migrate_runlog_finish(int64 run_id, bool succeeded, Datum to_heads,
								  const char *error_revision,
								  const ErrorData *edata,
								  const char *fingerprint);
extern int64 migrate_runlog_next_run_id(void);

/* A failed run, recorded by a background worker (survives a rollback). */
typedef struct MigrateFailure
{
	Oid			owner;			/* role the recorder connects as */
	const char *project;
	const char *kind;			/* upgrade / downgrade */
	const char *target;
	const char *started_at;		/* timestamptz text */
	const char *from_heads;		/* text[] literal */
	const char *db_user;
	const char *application_name;
	const char *revision;
	int			step;
	const char *step_started_at;	/* timestamptz text */
	const char *sqlstate;
	const char *message;
	const char *detail;
	const char *hint;
	const char *context;
} MigrateFailure;

extern int64 migrate_record_failure(const MigrateFailure *f);

/* the schema fingerprint (fingerprint.c) */
extern char *migrate_fingerprint_compute(void);
/* drift.c, for verify() */
extern char *migrate_schema_drift_message(const char *project,
										  char **revision_out);
/* ---------------------------------------------------------------------
 * Projects (projects.c)
 * ---------------------------------------------------------------------
 */
extern bool migrate_dependency_split(const char *dep, char **project,
									 const char **id);
extern void migrate_check_dependency(const char *dep, const char *project,
									 const char *id);
extern void migrate_graph_load_externals(MigrateGraph *graph);
extern void migrate_refuse_unapplied_externals(MigrateGraph *graph,
											   const int *plan, int n);
extern void migrate_lock_external_dependencies(MigrateGraph *graph,
											   const int *plan, int n);
extern void migrate_refuse_foreign_dependents(const char *project,
											  char **ids, int n);
extern bool migrate_project_has_dependents(const char *project);

/* the last run of a project: id, kind, status, at, error (status.c) */
extern void migrate_last_run(const char *project, Datum *v, bool *nulls);

/* ---------------------------------------------------------------------
 * Versions (version.c)
 * ---------------------------------------------------------------------
 */
extern const char *migrate_library_version(void);
extern int	migrate_compare_versions(const char *a, const char *b);
extern char *migrate_catalog_version(void);
extern void migrate_check_catalog_version(void);

/* ---------------------------------------------------------------------
 * Private run text (rights.c): run errors and checksums are visible to
 * the role that ran (or registered) it, roles with its privileges,
 * members of pg_read_all_stats and superusers.
 * ---------------------------------------------------------------------
 */
extern bool migrate_may_read_private_of(Oid viewer, const char *role);
extern bool migrate_may_read_all_private(Oid viewer);

/* ---------------------------------------------------------------------
 * Settings (settings.c): every setting a body could change, saved and
 * put back
 * ---------------------------------------------------------------------
 */
typedef struct MigrateSettings MigrateSettings;
extern MigrateSettings *migrate_settings_save(void);
extern void migrate_settings_restore(MigrateSettings *saved);

/* schema helpers (schema.c) */
struct TypeName;
extern List *migrate_parse_name(const char *input, const char *what,
								int maxparts);
extern Oid	migrate_lookup_relation(List *parts);
extern const char *migrate_relkind_name(char relkind);
extern bool migrate_index_is_valid(Oid indexoid);
extern struct TypeName *migrate_parse_type_name(const char *str);
extern Oid	migrate_lookup_type(const struct TypeName *tn);

#endif							/* MIGRATE_H */
