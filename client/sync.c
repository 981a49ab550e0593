/*-------------------------------------------------------------------------
 *
 * sync.c
 *	  Loading the directory of revision files into the database.
 *
 * The commands that change the database (upgrade, downgrade, stamp, adopt,
 * sync) sync first; the read-only ones compare in memory instead (model.c).
 *
 *	 1. every file is parsed on the client (revdir.c); any problem, or two
 *		files declaring one id, stops the sync before anything is sent;
 *	 1b. the probe (sync_probe, from ctx_open): one query, the connection's
 *		first, asks for the digest of the project's registry
 *		(migrate.registry_digest: id, checksum, file name, message and
 *		applied of every registered revision, hashed as common/regdigest.c
 *		does, with migrate's version), and compares it with the same digest
 *		of the files.  Equal, every file is registered as it is, no
 *		revision is registered without a file, and all are applied: that is
 *		the whole sync (a deploy that changed nothing), without reading
 *		1,000 rows.  Different, or NULL (a checksum this role may not
 *		read), the sync goes on:
 *	 2. one query reads id, checksum, message and source of every registered
 *		revision (the checksum through migrate.revision_checksum, which
 *		shows it to the role that registered it, pg_read_all_stats and
 *		superusers: a revision registered by another role is sent again,
 *		and the server finds it identical), outside any transaction: when
 *		nothing is to be sent, that is the whole sync;
 *	 3. a file is unchanged when its revision is registered with the same
 *		checksum (computed here as the extension computes it, checksum.c),
 *		the same source (the file name) and the same message (or the file
 *		has none): it is not sent at all;
 *	 4. the file of an applied revision whose checksum differs is never
 *		sent (the database keeps the version that ran): upgrade refuses
 *		before anything (SYNC_STRICT), downgrade/stamp/adopt go on with a
 *		warning (SYNC_LENIENT), sync on its own fails after the rest
 *		(SYNC_REPORT); each names the ways out;
 *	 5. every other file goes, in one transaction under the migration lock
 *		(the registry read again), to SELECT migrate.add_file(content, file
 *		name), which parses it again and registers or replaces it;
 *	 6. the checksums of the files sent are read again, which tells a new
 *		revision, a changed one, and one whose message or file name only
 *		was refreshed (a rename), whatever the client computed;
 *	 7. registered revisions with no file are reported as missing (another
 *		service's revisions, or a file deleted); "sync --prune" unregisters
 *		the unapplied ones with migrate.remove.
 *
 * So a deploy that changed nothing costs one query, however many files,
 * and that query returns one value.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"
#include "lockkey.h"
#include "regdigest.h"

#include <stdlib.h>
#include <string.h>

SyncReport	sync_report;

typedef struct Registered
{
	const char *id;
	const char *checksum;
	const char *message;		/* NULL if none */
	const char *source;
	bool		applied;
	bool		has_file;
} Registered;

static int
cmp_registered(const void *a, const void *b)
{
	return strcmp(((const Registered *) a)->id, ((const Registered *) b)->id);
}

static Registered *
find_registered(Registered *regs, size_t n, const char *id)
{
	Registered	key;

	key.id = id;
	return bsearch(&key, regs, n, sizeof(Registered), cmp_registered);
}

/* Every registered revision, sorted by id (bytewise) for bsearch. */
static PGresult *
read_registry(PGconn *conn, Registered **out, size_t *n)
{
	PGresult   *res = db_query(conn,
								"SELECT r.id, coalesce(c.checksum, ''), r.message, r.source,"
								"       a.revision IS NOT NULL"
								"  FROM migrate.revision r"
								"  JOIN migrate.revision_checksum c"
								"    ON c.project = r.project AND c.revision = r.id"
								"  LEFT JOIN migrate.applied a"
								"    ON a.project = r.project AND a.revision = r.id"
								" WHERE r.project = $1",
								1, (const char *[]) {opt.project});
	Registered *regs;

	if (res == NULL)
		return NULL;
	*n = (size_t) PQntuples(res);
	regs = pgm_malloc(sizeof(Registered) * (*n ? *n : 1));
	for (size_t i = 0; i < *n; i++)
	{
		regs[i].id = PQgetvalue(res, (int) i, 0);
		regs[i].checksum = PQgetvalue(res, (int) i, 1);
		regs[i].message = PQgetisnull(res, (int) i, 2) ? NULL : PQgetvalue(res, (int) i, 2);
		regs[i].source = PQgetisnull(res, (int) i, 3) ? NULL : PQgetvalue(res, (int) i, 3);
		regs[i].applied = PQgetvalue(res, (int) i, 4)[0] == 't';
		regs[i].has_file = false;
	}
	if (*n > 1)
		qsort(regs, *n, sizeof(Registered), cmp_registered);
	*out = regs;
	return res;
}

/*
 * The digest of common/regdigest.c over the files, as the registry would
 * give it if each file were registered as it is and applied: in id order
 * (rd->by_id, sorted bytewise), the file's checksum, its name (the source
 * sync registers) and its message.  A file without a message against a
 * registered message differs here although is_unchanged() takes it as
 * unchanged: the long way decides then.  False if SHA-256 failed.
 */
static bool
files_digest(const RevDir *rd, char hex[MIGRATE_REGDIGEST_LEN + 1])
{
	MigrateRegDigest *d = migrate_regdigest_begin(MIGRATE_VERSION);
	const char *error;

	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const RevEntry *e = &rd->e[rd->by_id[i]];

		migrate_regdigest_add(d, e->rf.revision, e->checksum, e->file, e->rf.message, true);
	}
	return migrate_regdigest_end(d, hex, &error);
}

/*
 * One round trip, the connection's first: is the registry digest the
 * files'?  The digest covers migrate's version (the extension's library
 * and this client's must be the same), so a match says the extension is
 * the one this client speaks to as well.  Anything else (another digest,
 * NULL, no extension or one too old to have migrate.registry_digest: the
 * query fails) is no match, reported by nobody: the caller checks the
 * extension and syncs the long way, and says what is wrong.
 *
 * The query is sent as soon as the connection is made (sync_probe_send),
 * while the files may still be being read: the server computes its digest
 * meanwhile.  sync_probe_finish reads the answer, always (the connection
 * is free for other queries after it), and compares it with the files'
 * digest when the files are given (NULL: loading them failed).
 */
static double probe_t0;
static double probe_seconds;

bool
sync_probe_send(PGconn *conn)
{
	probe_t0 = pgm_now();
	return PQsendQueryParams(conn, "SELECT migrate.registry_digest($1)",
							 1, NULL, (const char *[]) {opt.project}, NULL, NULL, 0) == 1;
}

bool
sync_probe_finish(PGconn *conn, const RevDir *rd)
{
	PGresult   *res;
	bool		same = false;
	bool		files_ok;
	char		hex[MIGRATE_REGDIGEST_LEN + 1];

	files_ok = rd != NULL && rd->n > 0 && rd->n_invalid == 0 && rd->n_duplicates == 0 &&
		rd->n_by_id == rd->n && files_digest(rd, hex);
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (files_ok && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
			!PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), hex) == 0)
			same = true;
		PQclear(res);
	}
	probe_seconds = pgm_now() - probe_t0;
	return same;
}

/*
 * The sync when the probe found the registry as the files declare it:
 * nothing to send, nothing missing, every file unchanged and applied.
 */
void
sync_unchanged(const RevDir *rd)
{
	SyncReport *r = &sync_report;

	memset(r, 0, sizeof(*r));
	r->files = rd->n;
	r->unchanged = rd->n;
	r->registered = rd->n;
	r->applied = rd->n;
	r->done = true;
	r->seconds = probe_seconds;
	sync_print(r, rd);
}

/* Same checksum, same file name, same message (or none in the file). */
static bool
is_unchanged(const RevEntry *e, const Registered *reg)
{
	return strcmp(reg->checksum, e->checksum) == 0 &&
		reg->source != NULL && strcmp(reg->source, e->file) == 0 &&
		(e->rf.message == NULL ||
		 (reg->message != NULL && strcmp(reg->message, e->rf.message) == 0));
}

static size_t
count_to_send(const RevDir *rd, Registered *regs, size_t nregs)
{
	size_t		n = 0;

	for (size_t i = 0; i < rd->n; i++)
	{
		Registered *reg = find_registered(regs, nregs, rd->e[i].rf.revision);

		if (reg == NULL || !is_unchanged(&rd->e[i], reg))
			n++;
	}
	return n;
}

/* Registered revisions with no file and not applied: what --prune removes. */
static size_t
count_prunable(const Registered *regs, size_t nregs, const RevDir *rd)
{
	size_t		n = 0;

	for (size_t i = 0; i < nregs; i++)
		if (!regs[i].applied && revdir_find(rd, regs[i].id) == NULL)
			n++;
	return n;
}

/*
 * The extension's migration lock of the project (the advisory lock of
 * ../common/lockkey.h, which every changing function of the extension
 * takes), held to the end of the sync's transaction, the wait bounded by
 * migrate.lock_wait (or --lock-wait) as the extension bounds its own.
 * Another project's sync or upgrade does not wait for it.
 */
static bool
take_migration_lock(PGconn *conn)
{
	const char *wait = opt.lock_wait;
	PGresult   *res;
	const char *params[1];
	char		key[16];
	char	   *saved;
	bool		got;

	snprintf(key, sizeof(key), "%d", (int) migrate_lock_key2(opt.project));

	if (wait == NULL)
	{
		res = db_try(conn, "SELECT pg_catalog.current_setting('migrate.lock_wait', true)", 0, NULL);
		if (res != NULL && !PQgetisnull(res, 0, 0) && PQgetvalue(res, 0, 0)[0] != '\0')
			wait = pgm_strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (wait == NULL)
		wait = "60s";
	res = db_query(conn, "SELECT pg_catalog.current_setting('lock_timeout')", 0, NULL);
	if (res == NULL)
		return false;
	saved = pgm_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	if (strtol(wait, NULL, 10) == 0)
		/* no wait at all (lock_timeout 0 would mean forever) */
		res = PQexecParams(conn, "SELECT pg_catalog.pg_try_advisory_xact_lock("
						   MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY1) ", $1::pg_catalog.int4)",
						   1, NULL, (const char *[]) {key}, NULL, NULL, 0);
	else
	{
		params[0] = wait;
		res = db_query(conn, "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, params);
		if (res == NULL)
		{
			free(saved);
			return false;
		}
		PQclear(res);
		res = PQexecParams(conn, "SELECT true FROM pg_catalog.pg_advisory_xact_lock("
						   MIGRATE_LOCK_TEXT(MIGRATE_LOCK_KEY1) ", $1::pg_catalog.int4)",
						   1, NULL, (const char *[]) {key}, NULL, NULL, 0);
	}
	got = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
	if (!got)
	{
		if (PQresultStatus(res) == PGRES_TUPLES_OK || strcmp(db_sqlstate(res), "55P03") == 0)
		{
			pgm_error("could not obtain the migration lock within migrate.lock_wait (%s): another session is changing the migrations of project \"%s\" in this database",
					  wait, opt.project);
			pgm_error_hint("Retry when it has finished, or wait longer with --lock-wait.");
		}
		else
			db_report_result_error(res, NULL);
		PQclear(res);
		free(saved);
		return false;
	}
	PQclear(res);
	params[0] = saved;
	res = db_query(conn, "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, params);
	free(saved);
	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/* the sync's transaction is open (only when it sends something) */
static bool sync_in_tx = false;

static void
rollback(PGconn *conn)
{
	PGresult   *res;

	if (!sync_in_tx)
		return;
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
	sync_in_tx = false;
}

/*
 * The file of an applied revision whose content changed: not sent.  A
 * checksum this role may not read (another role's revision) tells
 * nothing: the file is sent, and the server judges it.
 */
static bool
applied_and_changed(const RevEntry *e, const Registered *reg)
{
	return reg != NULL && reg->applied && reg->checksum[0] != '\0' &&
		strcmp(reg->checksum, e->checksum) != 0;
}

/*
 * The edited files of applied revisions: refused (upgrade), or left with a
 * warning naming the way out.
 */
static void
report_applied_changed(const RevDir *rd, const StrList *ids, bool error)
{
	char	   *list = sl_join(ids, ", ");
	StrList		files = {0};
	char	   *flist;

	for (size_t i = 0; i < ids->n; i++)
		sl_add(&files, revdir_find(rd, ids->items[i])->path);
	flist = sl_join(&files, ", ");
	if (error)
		pgm_error("the file%s of applied revision%s %s differ%s from the version that ran (%s); nothing was registered or run",
				  ids->n == 1 ? "" : "s", ids->n == 1 ? "" : "s", list, ids->n == 1 ? "s" : "",
				  flist);
	else
		pgm_warning("the file%s of applied revision%s %s differ%s from the version that ran (%s): the database keeps that version",
					ids->n == 1 ? "" : "s", ids->n == 1 ? "" : "s", list, ids->n == 1 ? "s" : "",
					flist);
	pgm_error_detail("An applied revision cannot change: the database keeps the version that ran, and a downgrade runs that one.");
	pgm_error_hint("Restore the file (git checkout -- FILE), or put the change in a new revision (pg_migrate revision). "
				   "\"pg_migrate check\" lists every difference; --no-sync uses the registered revisions as they are.");
	free(list);
	free(flist);
	sl_free(&files);
}

int
sync_directory(PGconn *conn, RevDir *rd, bool prune, SyncMode mode)
{
	SyncReport *r = &sync_report;
	double		t0 = pgm_now();
	PGresult   *res;
	Registered *regs;
	size_t		nregs;
	StrList		resend_ids = {0};	/* sent while registered before */
	StrList		resend_sums = {0};

	memset(r, 0, sizeof(*r));
	r->files = rd->n;
	if (!revdir_report_errors(rd))
	{
		pgm_error("revision files with problems: %zu of %zu in \"%s\"; nothing was loaded",
				  rd->n_invalid + rd->n_duplicates, rd->n, rd->dir);
		return PGM_EXIT_FAIL;
	}

	/*
	 * One read first, outside any transaction: when nothing is to be sent,
	 * that is the whole sync.
	 */
	sync_in_tx = false;
	res = read_registry(conn, &regs, &nregs);
	if (res == NULL)
		return PGM_EXIT_FAIL;
	if (count_to_send(rd, regs, nregs) > 0 || (prune && count_prunable(regs, nregs, rd) > 0))
	{
		/*
		 * Something must be sent: in one transaction (READ COMMITTED: each
		 * statement sees what committed before it), take the migration lock
		 * first and read again, so that of several deploys registering the
		 * same new files at once, the later ones find them registered (and
		 * send nothing) instead of racing to insert them.
		 */
		PQclear(res);
		free(regs);
		if (!db_command(conn, "BEGIN ISOLATION LEVEL READ COMMITTED"))
			return PGM_EXIT_FAIL;
		sync_in_tx = true;
		if (!take_migration_lock(conn))
		{
			rollback(conn);
			return PGM_EXIT_FAIL;
		}
		res = read_registry(conn, &regs, &nregs);
		if (res == NULL)
		{
			rollback(conn);
			return PGM_EXIT_FAIL;
		}
	}

	for (size_t i = 0; i < rd->n; i++)
		if (applied_and_changed(&rd->e[i], find_registered(regs, nregs, rd->e[i].rf.revision)))
			sl_add(&r->applied_changed, rd->e[i].rf.revision);
	if (r->applied_changed.n > 0 && mode == SYNC_STRICT)
	{
		report_applied_changed(rd, &r->applied_changed, true);
		PQclear(res);
		free(regs);
		rollback(conn);
		return PGM_EXIT_FAIL;
	}

	for (size_t i = 0; i < rd->n; i++)
	{
		RevEntry   *e = &rd->e[i];
		Registered *reg = find_registered(regs, nregs, e->rf.revision);
		const char *params[3];
		PGresult   *ares;

		if (reg != NULL)
		{
			reg->has_file = true;
			if (is_unchanged(e, reg))
			{
				r->unchanged++;
				continue;
			}
			if (applied_and_changed(e, reg))
				continue;		/* kept as it ran; reported below */
			if (strcmp(reg->checksum, e->checksum) == 0 &&
				(reg->source == NULL || strcmp(reg->source, e->file) != 0))
			{
				char	   *what = pgm_psprintf("%s (%s -> %s)", reg->id,
												reg->source ? reg->source : "no file name", e->file);

				sl_add(&r->renamed, what);
				free(what);
			}
		}

		params[0] = e->content;
		params[1] = e->file;
		params[2] = opt.project;
		ares = PQexecParams(conn, "SELECT migrate.add_file($1, $2, $3)", 3, NULL,
							params, NULL, NULL, 0);
		if (PQresultStatus(ares) != PGRES_TUPLES_OK)
		{
			char	   *prefix = pgm_psprintf("%s: ", e->path);

			db_report_result_error(ares, prefix);
			if (strcmp(db_sqlstate(ares), "42501") == 0)
				pgm_error_hint("Loading files needs EXECUTE on migrate.add_file (granted by the extension's owner); --no-sync uses the revisions as they are registered.");
			free(prefix);
			PQclear(ares);
			rollback(conn);
			PQclear(res);
			free(regs);
			sl_free(&resend_ids);
			sl_free(&resend_sums);
			return PGM_EXIT_FAIL;
		}
		PQclear(ares);
		r->sent++;
		if (reg == NULL)
			sl_add(&r->added, e->rf.revision);
		else
		{
			sl_add(&resend_ids, reg->id);
			sl_add(&resend_sums, reg->checksum);
		}
	}

	/* what the server made of the files it already knew */
	if (resend_ids.n > 0)
	{
		char	   *arr = db_array_literal(&resend_ids);
		const char *params[2] = {arr, opt.project};
		PGresult   *cres = db_query(conn,
									"SELECT revision, coalesce(checksum, '') FROM migrate.revision_checksum"
									" WHERE project = $2 AND revision = ANY ($1::text[])",
									2, params);

		free(arr);
		if (cres == NULL)
		{
			rollback(conn);
			PQclear(res);
			free(regs);
			return PGM_EXIT_FAIL;
		}
		for (size_t i = 0; i < resend_ids.n; i++)
		{
			bool		changed = true;

			for (int row = 0; row < PQntuples(cres); row++)
				if (strcmp(PQgetvalue(cres, row, 0), resend_ids.items[i]) == 0)
					changed = strcmp(PQgetvalue(cres, row, 1), resend_sums.items[i]) != 0;
			if (changed)
				sl_add(&r->changed, resend_ids.items[i]);
			else
				sl_add(&r->refreshed, resend_ids.items[i]);
		}
		PQclear(cres);
	}

	r->registered = nregs;
	for (size_t i = 0; i < nregs; i++)
		if (regs[i].applied)
			r->applied++;
	for (size_t i = 0; i < nregs; i++)
	{
		if (regs[i].has_file)
			continue;
		if (prune && !regs[i].applied)
		{
			const char *params[2] = {regs[i].id, opt.project};
			PGresult   *pres = db_query(conn, "SELECT migrate.remove($1, $2)", 2, params);

			if (pres == NULL)
			{
				rollback(conn);
				PQclear(res);
				free(regs);
				return PGM_EXIT_FAIL;
			}
			PQclear(pres);
			sl_add(&r->pruned, regs[i].id);
			continue;
		}
		sl_add(&r->missing, regs[i].id);
		if (regs[i].applied)
			sl_add(&r->missing_applied, regs[i].id);
	}
	PQclear(res);
	free(regs);
	sl_free(&resend_ids);
	sl_free(&resend_sums);

	if (sync_in_tx)
	{
		sync_in_tx = false;
		if (!db_command(conn, "COMMIT"))
			return PGM_EXIT_FAIL;
	}
	r->done = true;
	r->seconds = pgm_now() - t0;
	sync_print(r, rd);
	if (r->applied_changed.n > 0)
	{
		report_applied_changed(rd, &r->applied_changed, mode == SYNC_REPORT);
		if (mode == SYNC_REPORT)
			return PGM_EXIT_FAIL;
	}
	return PGM_EXIT_OK;
}

static void
print_ids(const char *what, const StrList *ids, const RevDir *rd, const StrList *applied)
{
	size_t		limit = opt.verbose ? ids->n : 10;

	for (size_t i = 0; i < ids->n && i < limit; i++)
	{
		const char *file = revdir_file_of(rd, ids->items[i]);

		if (file)
			pgm_info("  %-9s %s (%s)", what, ids->items[i], file);
		else if (applied && sl_contains(applied, ids->items[i]))
			pgm_info("  %-9s %s (registered and applied; no file)", what, ids->items[i]);
		else
			pgm_info("  %-9s %s (registered; no file)", what, ids->items[i]);
	}
	if (ids->n > limit)
		pgm_info("  %-9s ... and %zu more (-v lists them all)", what, ids->n - limit);
}

void
sync_print(const SyncReport *r, const RevDir *rd)
{
	StrBuf		sb;

	if (opt.quiet)
		return;
	sb_init(&sb);
	sb_appendf(&sb, "sync %s: %zu file%s, %zu new, %zu changed, %zu unchanged",
			   rd->dir, r->files, r->files == 1 ? "" : "s", r->added.n,
			   r->changed.n, r->unchanged + r->refreshed.n);
	if (r->renamed.n > 0)
		sb_appendf(&sb, ", %zu renamed", r->renamed.n);
	if (r->applied_changed.n > 0)
		sb_appendf(&sb, ", %zu applied and edited (kept as they ran)", r->applied_changed.n);
	if (r->missing.n > 0)
		sb_appendf(&sb, ", %zu missing", r->missing.n);
	if (r->pruned.n > 0)
		sb_appendf(&sb, ", %zu pruned", r->pruned.n);
	sb_appendf(&sb, " (%s)", pgm_format_seconds(r->seconds));
	pgm_info("%s", sb.data);
	sb_free(&sb);
	print_ids("new", &r->added, rd, NULL);
	print_ids("changed", &r->changed, rd, NULL);
	for (size_t i = 0; i < r->renamed.n && (opt.verbose || i < 10); i++)
		pgm_info("  %-9s %s", "renamed", r->renamed.items[i]);
	if (opt.verbose)
		print_ids("refreshed", &r->refreshed, rd, NULL);
	print_ids("missing", &r->missing, rd, &r->missing_applied);
	print_ids("pruned", &r->pruned, rd, NULL);
}

void
sync_json(JsonWriter *w, const SyncReport *r)
{
	json_key(w, "sync");
	if (!r->done)
	{
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_kv_int(w, "files", (long long) r->files);
	json_kv_strlist(w, "new", &r->added);
	json_kv_strlist(w, "changed", &r->changed);
	json_kv_int(w, "unchanged", (long long) (r->unchanged + r->refreshed.n));
	json_kv_strlist(w, "refreshed", &r->refreshed);
	json_kv_strlist(w, "renamed", &r->renamed);
	json_kv_strlist(w, "applied_changed", &r->applied_changed);
	json_kv_strlist(w, "missing", &r->missing);
	json_kv_strlist(w, "missing_applied", &r->missing_applied);
	json_kv_strlist(w, "pruned", &r->pruned);
	json_kv_int(w, "sent", (long long) r->sent);
	json_kv_double(w, "seconds", r->seconds);
	json_end_object(w);
}
