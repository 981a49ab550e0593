/*-------------------------------------------------------------------------
 *
 * pg_migrate.h
 *	  Declarations shared by the files of pg_migrate, the command-line
 *	  client of the migrate extension.
 *
 * Layout of client/ (each file depends only on those listed above it,
 * except main.c and help.c, which know every command):
 *	  options.c   the settings of the run (opt), program and command names
 *	  util.c      memory, strings, lists, diagnostics, clocks
 *	  json.c      a small JSON writer (output of --json)
 *	  hints.c     the extension's hints and details as pg_migrate commands
 *	  conn.c      connecting (libpq conventions), queries, server errors,
 *	              notices and progress, Ctrl-C
 *	  revdir.c    the directory of revision files: reading, parsing with
 *	              ../common/revfile.c, checksums (../common/checksum.c),
 *	              the offline graph
 *	  sync.c      loading the directory into the database (migrate.add_file)
 *	  sqlsplit.c  where a body's statements end, as psql reads them
 *	  model.c     the files laid over the database's revisions, in memory:
 *	              what the read-only commands show, registering nothing
 *	  resolve.c   targets, ranges and states on the model
 *	  output.c    the --json document's envelope, the one-line summary
 *	  project.c   the directory's project (--project, PG_MIGRATE_PROJECT,
 *	              the directory's settings file pg_migrate.conf) and the
 *	              projects command
 *	  ctx.c       the context of a command: directory, connection, sync
 *	  offline.c   sql --offline: the script from the files alone
 *	              (../common/psqlscript.c, the extension's rules)
 *	  cmd_files.c init, revision
 *	  cmd_graph.c graph, linear runs collapsed
 *	  cmd_show.c  show, branches; one revision as a block or JSON
 *	  cmd_apply.c upgrade, downgrade, stamp, sql
 *	  cmd_adopt.c adopt
 *	  cmd_status.c current, heads, history, status, sync
 *	  cmd_check.c check (the files, the model and migrate.validate(); or
 *	              --offline, with the server's chain rules, ../common/chain.c)
 *	  cmd_drift.c blame, and drift for status and check --drift
 *	  cmd_lint.c  lint (migrate.lint, lint_sql), and the findings that
 *	              upgrade --dry-run and check show
 *	  fleetfile.c the parser of a file of connection strings (plain C,
 *	              fuzzed by test/fuzz/fuzz_fleetfile.c)
 *	  fleet.c     one command against many databases, in parallel
 *	  help.c      the command table and help texts
 *	  main.c      parsing the command line, dispatch
 *
 * Shared with the extension, in ../common/ (compiled here with -DFRONTEND,
 * as PostgreSQL's src/common is): the revision-file parser, the id and
 * source-name rules, the checksum, the chain rules, the offline script's
 * pieces and the lock key.
 * SHA-256 is libpgcommon's pg_cryptohash.  The user's guide is
 * docs/pg_migrate.md.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_MIGRATE_H
#define PG_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libpq-fe.h"

#include "chain.h"
#include "checksum.h"
#include "revfile.h"

/* from migrate.control, through client/Makefile: the one place it is written */
#ifndef MIGRATE_VERSION
#error "MIGRATE_VERSION is defined by client/Makefile from ../migrate.control"
#endif
#define PG_MIGRATE_VERSION MIGRATE_VERSION

/* Exit statuses (documented in --help and docs/pg_migrate.md) */
#define PGM_EXIT_OK		0		/* success */
#define PGM_EXIT_FAIL	1		/* validation or migration failure */
#define PGM_EXIT_USAGE	2		/* usage, connection or setup error */

#if defined(__GNUC__) || defined(__clang__)
#define PGM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PGM_NORETURN __attribute__((noreturn))
#else
#define PGM_PRINTF(f, a)
#define PGM_NORETURN
#endif

/* ---------------------------------------------------------------------
 * util.c
 * ---------------------------------------------------------------------
 */
typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

typedef struct StrList
{
	char	  **items;
	size_t		n;
	size_t		cap;
} StrList;

extern void *pgm_malloc(size_t size);
extern void *pgm_realloc(void *ptr, size_t size);
extern char *pgm_strdup(const char *s);
extern char *pgm_strndup(const char *s, size_t n);
extern char *pgm_psprintf(const char *fmt,...) PGM_PRINTF(1, 2);

extern void sb_init(StrBuf *sb);
extern void sb_append(StrBuf *sb, const char *s);
extern void sb_appendn(StrBuf *sb, const char *s, size_t n);
extern void sb_appendc(StrBuf *sb, char c);
extern void sb_appendf(StrBuf *sb, const char *fmt,...) PGM_PRINTF(2, 3);
extern void sb_free(StrBuf *sb);

extern void sl_add(StrList *sl, const char *s);
extern void sl_add_unique(StrList *sl, const char *s);
extern bool sl_contains(const StrList *sl, const char *s);
extern char *sl_join(const StrList *sl, const char *sep);
extern void sl_sort(StrList *sl);
extern void sl_free(StrList *sl);

extern double pgm_now(void);	/* monotonic seconds */
extern char *pgm_format_seconds(double s);	/* static buffer */

/*
 * Diagnostics.  Every error and warning goes through these: printed to
 * stderr for people at once, and kept for the --json document.
 */
typedef struct Diag
{
	const char *severity;		/* "error", "warning" */
	char	   *message;
	char	   *sqlstate;
	char	   *detail;
	char	   *hint;
	char	   *context;
	char	   *file;
	size_t		line;			/* 0: none */
} Diag;

extern Diag *diags;
extern size_t n_diags;

extern void pgm_error(const char *fmt,...) PGM_PRINTF(1, 2);
extern void pgm_warning(const char *fmt,...) PGM_PRINTF(1, 2);
extern void pgm_file_error(const char *file, size_t line, const char *fmt,...) PGM_PRINTF(3, 4);
extern void pgm_info(const char *fmt,...) PGM_PRINTF(1, 2);	/* stderr, not -q */
extern void pgm_error_sqlstate(const char *prefix, const char *message, const char *sqlstate);
extern char *diag_text(const Diag *d);
extern void pgm_error_hint(const char *hint);	/* adds a hint to the last error */
extern void pgm_error_detail(const char *detail);
extern PGM_NORETURN void pgm_fatal_oom(void);

/* ---------------------------------------------------------------------
 * json.c
 * ---------------------------------------------------------------------
 */
#define JSON_MAX_DEPTH 32

typedef struct JsonWriter
{
	FILE	   *out;
	int			depth;
	bool		need_comma[JSON_MAX_DEPTH];
	bool		after_key;
} JsonWriter;

extern void json_init(JsonWriter *w, FILE *out);
extern void json_begin_object(JsonWriter *w);
extern void json_end_object(JsonWriter *w);
extern void json_begin_array(JsonWriter *w);
extern void json_end_array(JsonWriter *w);
extern void json_key(JsonWriter *w, const char *key);
extern void json_string(JsonWriter *w, const char *s);	/* NULL: null */
extern void json_string_n(JsonWriter *w, const char *s, size_t n);
extern void json_int(JsonWriter *w, long long v);
extern void json_double(JsonWriter *w, double v);
extern void json_bool(JsonWriter *w, bool v);
extern void json_null(JsonWriter *w);
extern void json_raw(JsonWriter *w, const char *text);	/* a JSON value as is */
extern void json_finish(JsonWriter *w);
extern void json_kv_string(JsonWriter *w, const char *key, const char *v);
extern void json_kv_int(JsonWriter *w, const char *key, long long v);
extern void json_kv_double(JsonWriter *w, const char *key, double v);
extern void json_kv_bool(JsonWriter *w, const char *key, bool v);
extern void json_kv_strlist(JsonWriter *w, const char *key, const StrList *l);
extern void json_escape(StrBuf *sb, const char *s, size_t n);

/* ---------------------------------------------------------------------
 * Options (options.c; filled by main.c)
 * ---------------------------------------------------------------------
 */
typedef struct Options
{
	/* global */
	const char *directory;
	const char *project;		/* the history every command acts on */
	const char *project_source; /* where it came from, for messages */
	const char *dbname;
	const char *host;
	const char *port;
	const char *username;
	int			password_prompt;	/* 0 if needed, 1 always (-W), -1 never (-w) */
	bool		quiet;
	bool		verbose;
	bool		json;
	bool		no_sync;

	/* command options */
	const char *message;
	bool		merge;
	StrList		labels;
	StrList		heads;
	StrList		depends_on;
	const char *rev_id;
	bool		non_transactional;
	bool		sql;
	bool		dry_run;
	bool		down;
	const char *output;
	const char *format;
	bool		offline;
	bool		strict;
	bool		at_head;
	bool		drift;
	bool		prune;
	bool		skip_validation;
	bool		allow_missing;
	bool		force;
	const char *table;
	const char *each_db;
	const char *db_file;
	int			jobs;
	const char *lock_timeout;
	const char *lock_wait;
	const char *lock_retries;
	const char *range;			/* history -r A:B */
	bool		full;			/* graph --full */

	/* positional arguments after the command */
	int			nargs;
	char	  **args;

	/* set in fleet children: the password asked once by the parent */
	const char *password;
	const char *target_conninfo;	/* --db-file: this line instead of -d */
	const char *target_dbname;	/* --each-db: this database */
} Options;

extern Options opt;
extern const char *progname;
extern const char *command_name;

/* ---------------------------------------------------------------------
 * conn.c
 * ---------------------------------------------------------------------
 */
extern PGconn *db_connect(void);
extern char *db_prompt_password(void);
extern bool db_require_extension(PGconn *conn);
extern bool db_extension_version_ok(const char *version);
extern void db_disconnect(PGconn *conn);
extern char *db_label(PGconn *conn);
extern PGresult *db_query(PGconn *conn, const char *sql, int nparams,
						  const char *const *params);
extern PGresult *db_try(PGconn *conn, const char *sql, int nparams,
						const char *const *params);
extern bool db_command(PGconn *conn, const char *sql);
extern bool db_reconnect(PGconn *conn);
extern void db_report_result_error(const PGresult *res, const char *prefix);
extern const char *db_sqlstate(const PGresult *res);
extern char *db_array_literal(const StrList *items);
extern void db_parse_array(const char *lit, StrList *out);
extern bool db_set_lock_settings(PGconn *conn);
extern bool db_has_procedure(PGconn *conn, const char *signature);
extern char *translate_hint(const char *text);	/* hints.c */

/* progress from the server's NOTICEs */
extern void progress_begin(const char *verb);
extern void progress_end(void);
extern const char *progress_last_revision(void);

/* ---------------------------------------------------------------------
 * revdir.c
 * ---------------------------------------------------------------------
 */
typedef struct RevEntry
{
	char	   *file;			/* file name, e.g. 001_init.sql */
	char	   *path;			/* directory/file */
	char	   *content;
	size_t		len;
	RevFile		rf;
	bool		valid;			/* parsed without errors */
	char	   *read_error;		/* could not be read: why */
	bool		duplicate;		/* declares an id another file declares */
	char		checksum[MIGRATE_CHECKSUM_LEN + 1];	/* valid only */

	/* offline graph (revdir_link) */
	int			nchildren;
	bool		is_head;
} RevEntry;

typedef struct RevDir
{
	char	   *dir;
	bool		exists;
	RevEntry   *e;
	size_t		n;
	size_t		n_invalid;		/* files with parse errors */
	size_t		n_duplicates;	/* ids declared by several files */
	size_t	   *by_id;			/* indexes of valid entries sorted by id */
	size_t		n_by_id;
} RevDir;

extern int	revdir_load(const char *dir, RevDir *rd);
extern int	revdir_load_quiet(const char *dir, RevDir *rd);
extern bool revdir_report_errors(const RevDir *rd);
extern RevEntry *revdir_find(const RevDir *rd, const char *id);
extern const char *revdir_file_of(const RevDir *rd, const char *id);
extern size_t revdir_body_line(const RevDir *rd, const char *id, const char *message,
							   char **message_out);
extern void revdir_link(RevDir *rd);
extern void revdir_heads(const RevDir *rd, StrList *out);
extern bool is_revision_file_name(const char *name);

/* ---------------------------------------------------------------------
 * sync.c
 * ---------------------------------------------------------------------
 */
/*
 * What a sync does with the file of an applied revision that changed (the
 * database keeps the version that ran):
 *	 SYNC_STRICT   refuse before registering anything (upgrade);
 *	 SYNC_LENIENT  leave it, with a warning, register the rest (downgrade,
 *				   stamp, adopt: they run or record the registered version);
 *	 SYNC_REPORT   register the rest, then fail (sync on its own).
 */
typedef enum SyncMode
{
	SYNC_NONE,
	SYNC_STRICT,
	SYNC_LENIENT,
	SYNC_REPORT
} SyncMode;

typedef struct SyncReport
{
	bool		done;
	size_t		files;
	StrList		added;
	StrList		changed;
	StrList		applied_changed;	/* applied, file differs: not sent */
	StrList		renamed;		/* "id (old -> new)" */
	StrList		refreshed;		/* message or source updated */
	StrList		missing;		/* registered, no file */
	StrList		missing_applied;
	StrList		pruned;
	size_t		unchanged;
	size_t		sent;
	size_t		registered;		/* after the sync */
	size_t		applied;
	double		seconds;
} SyncReport;

extern SyncReport sync_report;
extern bool sync_probe_send(PGconn *conn);
extern bool sync_probe_finish(PGconn *conn, const RevDir *rd);
extern void sync_unchanged(const RevDir *rd);
extern int	sync_directory(PGconn *conn, RevDir *rd, bool prune, SyncMode mode);
extern void sync_print(const SyncReport *r, const RevDir *rd);
extern void sync_json(JsonWriter *w, const SyncReport *r);

/* ---------------------------------------------------------------------
 * model.c: the files and the database's revisions together, in memory
 * ---------------------------------------------------------------------
 */
typedef enum RevState
{
	RS_SAME,					/* file and registered revision agree */
	RS_NEW,						/* a file, not registered */
	RS_CHANGED,					/* registered with another checksum */
	RS_REFRESHED,				/* the same checksum, another message */
	RS_RENAMED,					/* the same checksum, another file name */
	RS_NO_FILE					/* registered, no file declares it */
} RevState;

typedef struct Rev
{
	const char *id;
	RevEntry   *file;			/* its file, or NULL */
	RevState	state;

	/* the database's (NULL or false without one) */
	bool		registered;
	bool		applied;
	bool		current;		/* migrate.current() */
	const char *checksum;		/* registered */
	const char *reg_message;
	const char *reg_source;
	const char *registered_at;
	const char *applied_at;
	const char *applied_by;
	const char *run_id;
	const char *seconds;		/* of its last step */

	/* the revision: its file's if it has one, else the registered one */
	char	  **parents;
	int			nparents;
	char	  **depends;
	int			ndepends;
	char	  **labels;
	int			nlabels;
	const char *message;
	const char *source;
	bool		transactional;
	bool		reversible;

	/* links (indexes into Model.revs; -1: not a revision) */
	int		   *parent_idx;
	int		   *depend_idx;
	int		   *children;
	int			nchildren;
	int		   *dependents;
	int			ndependents;
	int			topo;			/* position in Model.topo */
} Rev;

typedef struct Model
{
	Rev		   *revs;
	int			n;
	int			cap;
	int		   *by_id;			/* indexes sorted by id */
	int		   *topo;			/* ancestors first, the extension's order */
	int			ntopo;
	bool		has_db;
	bool		has_files;
	RevDir	   *rd;
	PGresult   *res;			/* the strings of the database's rows */
	int		   *edge_pool;
	int		   *child_pool;

	/* the comparison (has_db and has_files) */
	int			n_new;
	int			n_changed;
	int			n_applied_changed;
	int			n_refreshed;
	int			n_renamed;
	int			n_no_file;
	int			n_no_file_applied;
	int			n_applied;
	int			n_applied_unknown;
	StrList		applied_unknown;	/* applied, neither registered nor a file */
} Model;

extern const Model *report_model;	/* its "files" go into --json */
extern bool model_load(Model *m, PGconn *conn, RevDir *rd);
extern int	model_find(const Model *m, const char *id);
extern bool model_files_differ(const Model *m);
extern void model_print_diff(const Model *m);
extern void model_json_diff(JsonWriter *w, const Model *m);
extern const char *rev_state_name(RevState s);
extern bool rev_is_head(const Rev *r);
extern bool rev_is_base(const Rev *r);
extern void rev_marks(StrBuf *sb, const Model *m, const Rev *r, bool with_state);

/* sqlsplit.c: statements of a body, as psql reads them */
extern int	sql_split(const char *body, StrList *out);
extern bool sql_split_has_code(const char *start, const char *end);
extern bool sql_adds_enum_value(const char *stmt);

/* ---------------------------------------------------------------------
 * resolve.c: targets, ranges and states on the model
 * ---------------------------------------------------------------------
 */
typedef struct IdxList
{
	int		   *v;
	int			n;
	int			cap;
} IdxList;

extern void il_add(IdxList *l, int v);
extern void il_free(IdxList *l);
extern void model_heads(const Model *m, IdxList *out);
extern bool model_resolve(const Model *m, const char *target, IdxList *out);
extern bool model_state(const Model *m, const char *target, char *mark);
typedef enum RangeMode
{
	RANGE_APPLIED,				/* both ends from the applied state */
	RANGE_B_FROM_A,				/* B from state A */
	RANGE_A_FROM_B				/* A from state B */
} RangeMode;
extern bool model_range(const Model *m, const char *range, RangeMode mode, bool inclusive,
						IdxList *out, char *from_mark, char *to_mark, bool *reversed);
extern void model_state_heads(const Model *m, const char *mark, StrList *out);

/* ---------------------------------------------------------------------
 * Commands
 * ---------------------------------------------------------------------
 */

/* What a command gets: the directory (loaded if it needs it) (ctx.c) */
typedef struct Ctx
{
	RevDir		rd;
	bool		rd_loaded;
	PGconn	   *conn;
	Model		model;			/* ctx_open_read */
	bool		model_loaded;
	bool		files_broken;	/* a file did not parse (reported) */
} Ctx;

/* prepares the connection and the sync for a command */
extern int	ctx_open(Ctx *ctx, SyncMode sync);
extern int	ctx_load_dir(Ctx *ctx, bool must_exist);
/* for a read-only command: connect, compare files and database in memory */
extern int	ctx_open_read(Ctx *ctx, bool need_dir);
/* dry runs and lint: the files registered in a transaction never committed */
extern int	ctx_open_rolled_back(Ctx *ctx, SyncMode mode);
extern int	ctx_register_in_tx(Ctx *ctx, char **why);
extern void ctx_rollback(Ctx *ctx);

/* JSON document of a command: begin with the common keys, end (output.c) */
extern void result_begin(JsonWriter *w, Ctx *ctx, bool ok);
extern void result_end(JsonWriter *w);
extern void json_diags(JsonWriter *w);
extern bool json_emitted;

/* the one-line outcome of a command, for fleet summaries (output.c) */
extern char *command_summary;
extern void set_summary(const char *fmt,...) PGM_PRINTF(1, 2);

typedef int (*CommandFn) (Ctx *ctx);

extern int	cmd_init(Ctx *ctx);
extern int	cmd_revision(Ctx *ctx);
extern int	cmd_graph(Ctx *ctx);

extern int	cmd_upgrade(Ctx *ctx);
extern int	cmd_downgrade(Ctx *ctx);
extern int	cmd_stamp(Ctx *ctx);
extern int	cmd_sql(Ctx *ctx);
extern int	cmd_adopt(Ctx *ctx);	/* cmd_adopt.c */
extern bool fetch_current(PGconn *conn, StrList *out);
extern char *current_text(const StrList *cur);

extern int	cmd_current(Ctx *ctx);
extern int	cmd_heads(Ctx *ctx);
extern int	cmd_history(Ctx *ctx);
extern int	cmd_check(Ctx *ctx);
extern int	cmd_status(Ctx *ctx);
extern int	cmd_sync(Ctx *ctx);
extern char *display_ts(const char *iso);

extern int	sql_offline(Ctx *ctx, const char *arg);	/* offline.c */
extern int	sql_from_files(Ctx *ctx, const char *target);
extern int	cmd_show(Ctx *ctx);
extern int	cmd_branches(Ctx *ctx);
extern void print_rev_block(Ctx *ctx, const Rev *r, bool show_body);
extern void json_rev(JsonWriter *w, const Model *m, const Rev *r);

/* cmd_drift.c: blame, and drift for status and check --drift */
extern int	cmd_blame(Ctx *ctx);
extern PGresult *drift_rows(PGconn *conn, bool required);
extern void drift_status(PGconn *conn, JsonWriter *w);
extern bool drift_findings(PGconn *conn, StrList *messages);
/* cmd_lint.c: lint, and the findings upgrade --dry-run and check show */
typedef struct LintFinding
{
	char	   *revision;
	int			statement;
	char	   *severity;
	char	   *code;
	char	   *file;			/* path of the revision's file, if known */
	size_t		line;			/* in the file (or the body, without one) */
	char	   *relation;
	char	   *lock;
	char	   *rewrite;		/* "t", "f" or NULL */
	char	   *rows;
	char	   *bytes;
	char	   *message;
	char	   *hint;
} LintFinding;

typedef struct LintFindings
{
	LintFinding *f;
	size_t		n;
	size_t		cap;
	int			errors;
	int			warnings;
	int			infos;
	const char *skipped;		/* why lint could not run here, or NULL */
} LintFindings;

extern int	cmd_lint(Ctx *ctx);
extern bool lint_plan(Ctx *ctx, const char *target, bool down, LintFindings *lf);
extern void lint_print(const LintFindings *lf, FILE *out, bool with_info);
extern void lint_json(JsonWriter *w, const char *key, const LintFindings *lf);
extern void lint_free(LintFindings *lf);

/* fleet.c */
extern int	fleet_run(CommandFn fn);

/* project.c */
#define PGM_SETTINGS_FILE "pg_migrate.conf"
extern int	project_resolve(void);
extern int	project_write_settings(const char *dir, const char *project,
								   bool *written);
extern int	cmd_projects(Ctx *ctx);

/* ---------------------------------------------------------------------
 * The command table (help.c) and its options (main.c)
 * ---------------------------------------------------------------------
 */
typedef enum OptionId
{
	/* global */
	O_DIRECTORY, O_DBNAME, O_HOST, O_PORT, O_USERNAME, O_NO_PASSWORD,
	O_PASSWORD, O_QUIET, O_VERBOSE, O_JSON, O_NO_SYNC, O_HELP, O_VERSION,
	/* per command */
	O_MESSAGE, O_MERGE, O_LABEL, O_HEAD, O_DEPENDS_ON, O_REV_ID, O_NON_TX,
	O_SQL, O_DRY_RUN, O_DOWN, O_OUTPUT, O_FORMAT, O_DOT, O_MERMAID,
	O_OFFLINE, O_STRICT, O_AT_HEAD, O_PRUNE, O_SKIP_VALIDATION, O_FORCE,
	O_TABLE, O_EACH_DB, O_DB_FILE, O_JOBS, O_LOCK_TIMEOUT, O_LOCK_WAIT,
	O_LOCK_RETRIES, O_ALLOW_MISSING, O_DRIFT, O_REV_RANGE, O_FULL,
	/* global, added with projects */
	O_PROJECT,
	O_COUNT
} OptionId;

/* a set of options, as a bit mask */
#define OPT(o) (UINT64_C(1) << (o))
#define GLOBAL_OPTIONS (OPT(O_DIRECTORY) | OPT(O_DBNAME) | OPT(O_HOST) | \
	OPT(O_PORT) | OPT(O_USERNAME) | OPT(O_NO_PASSWORD) | OPT(O_PASSWORD) | \
	OPT(O_QUIET) | OPT(O_VERBOSE) | OPT(O_JSON) | OPT(O_NO_SYNC) | OPT(O_HELP) | \
	OPT(O_PROJECT))
#define FLEET_OPTIONS (OPT(O_EACH_DB) | OPT(O_DB_FILE) | OPT(O_JOBS))
#define LOCK_OPTIONS (OPT(O_LOCK_TIMEOUT) | OPT(O_LOCK_WAIT) | OPT(O_LOCK_RETRIES))

typedef struct Command
{
	const char *name;
	CommandFn	fn;
	uint64_t	options;		/* beyond the global ones */
	int			min_args;
	int			max_args;
	bool		fleet;			/* runs with --each-db / --db-file */
	const char *synopsis;
	const char *summary;
	const char *help;
} Command;

extern const Command commands[];
extern const size_t n_commands;
extern const Command *find_command(const char *name);
extern void print_main_help(FILE *out);
extern void print_command_help(const Command *c, FILE *out);
extern int	cmd_help(Ctx *ctx);

#endif							/* PG_MIGRATE_H */
