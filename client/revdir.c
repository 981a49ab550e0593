/*-------------------------------------------------------------------------
 *
 * revdir.c
 *	  The directory of revision files: every "*.sql" file in it (not in
 *	  subdirectories, not hidden) is one revision, parsed by the same parser
 *	  as the extension's migrate.add_file (../common/revfile.c).
 *
 * Problems are found before any connection: a file that does not parse is
 * reported as "path:line: error: message" for each problem, and two files
 * that declare the same id are reported with both names.  Loading reports
 * nothing but a missing directory (and revdir_load_quiet not even that),
 * so that it may run in a thread of its own while the connection is
 * made (ctx.c); revdir_report_errors reports the rest.
 *
 * IDENTIFICATION
 *	  client/revdir.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* larger than any sane migration; text values stop at 1 GB anyway */
#define REVFILE_MAX_BYTES (256 * 1024 * 1024)

bool
is_revision_file_name(const char *name)
{
	size_t		len = strlen(name);

	return len > 4 && name[0] != '.' && strcmp(name + len - 4, ".sql") == 0;
}

static int
cmp_name(const void *a, const void *b)
{
	/* past the type byte revdir_load_internal puts first */
	return strcmp(*(char *const *) a + 1, *(char *const *) b + 1);
}

static const RevDir *sort_rd;

static int
cmp_by_id(const void *a, const void *b)
{
	const RevEntry *x = &sort_rd->e[*(const size_t *) a];
	const RevEntry *y = &sort_rd->e[*(const size_t *) b];
	int			c = strcmp(x->rf.revision, y->rf.revision);

	if (c != 0)
		return c;
	return strcmp(x->file, y->file);
}

/*
 * The checksum the extension computes for the file's revision (the same
 * code: ../common/checksum.c), so that sync can tell an unchanged file by
 * comparing with migrate.revision.checksum, without sending it.  Sync
 * never trusts it alone: a file whose checksum differs is sent to
 * migrate.add_file, which decides with the server's own computation.
 */
static void
entry_checksum(RevEntry *e)
{
	const RevFile *rf = &e->rf;
	const char *error;

	if (!migrate_checksum_hex(rf->upgrade, rf->downgrade,
							  rf->down_revision, (int) rf->n_down_revision,
							  rf->depends_on, (int) rf->n_depends_on,
							  rf->branch_labels, (int) rf->n_branch_labels,
							  rf->transactional, e->checksum, &error))
	{
		fprintf(stderr, "%s: error: could not compute SHA-256: %s\n", progname, error);
		exit(PGM_EXIT_FAIL);
	}
}

/*
 * A buffer that the files of one directory are read into in turn: a file
 * is read with one read() into it (and a second that finds the end), and
 * copied to an allocation of its own size.  Each file into a fresh 8 kB
 * buffer instead cost a thousand page faults for a thousand small files.
 */
typedef struct ReadBuf
{
	char	   *data;
	size_t		cap;
} ReadBuf;

/*
 * Read the file "name" of the directory open as "dirfd": open, read until
 * end of file, close (no stat, no stdio buffer: a deploy reads a thousand
 * of them).  With "check_regular", it must be a regular file (ENOENT if
 * not, so that it is skipped).
 */
static bool
read_file_at(int dirfd, const char *name, bool check_regular, ReadBuf *rb,
			 char **data, size_t *len)
{
	int			fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t		n = 0;

	if (fd < 0)
		return false;
	if (check_regular)
	{
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		{
			close(fd);
			errno = ENOENT;
			return false;
		}
	}
	for (;;)
	{
		ssize_t		got;

		if (rb->cap - n < 4096)
		{
			if (rb->cap > REVFILE_MAX_BYTES)
			{
				close(fd);
				errno = EFBIG;
				return false;
			}
			rb->cap = rb->cap ? rb->cap * 2 : 65536;
			rb->data = pgm_realloc(rb->data, rb->cap);
		}
		got = read(fd, rb->data + n, rb->cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
		{
			int			save = errno;

			close(fd);
			errno = save;
			return false;
		}
		if (got == 0)
			break;
		n += (size_t) got;
	}
	close(fd);
	*data = pgm_malloc(n + 1);
	memcpy(*data, rb->data, n);
	(*data)[n] = '\0';
	*len = n;
	return true;
}

/*
 * Read and parse every revision file of "dir".  Returns PGM_EXIT_OK when
 * the directory could be read (files with problems are counted in
 * n_invalid and n_duplicates, see revdir_report_errors), PGM_EXIT_USAGE
 * when it does not exist or cannot be read (reported).
 */
static int	revdir_load_internal(const char *dir, RevDir *rd, bool report);

int
revdir_load(const char *dir, RevDir *rd)
{
	return revdir_load_internal(dir, rd, true);
}

/* The same, without a word if the directory is not there. */
int
revdir_load_quiet(const char *dir, RevDir *rd)
{
	return revdir_load_internal(dir, rd, false);
}

static int
revdir_load_internal(const char *dir, RevDir *rd, bool report)
{
	DIR		   *d;
	struct dirent *de;
	StrList		names = {0};
	ReadBuf		rb = {NULL, 0};

	memset(rd, 0, sizeof(*rd));
	rd->dir = pgm_strdup(dir);
	d = opendir(dir);
	if (d == NULL)
	{
		if (!report)
			return PGM_EXIT_USAGE;
		if (errno == ENOENT)
		{
			pgm_error("migration directory \"%s\" does not exist", dir);
			pgm_error_hint("Give the directory with -D DIR (default ./migrations), or create it with \"pg_migrate init\".");
		}
		else
			pgm_error("could not open migration directory \"%s\": %s", dir, strerror(errno));
		return PGM_EXIT_USAGE;
	}
	rd->exists = true;
	while ((de = readdir(d)) != NULL)
	{
		/* "\x01" before the name: its type must be checked when it is read */
		if (is_revision_file_name(de->d_name) && de->d_type != DT_DIR)
		{
			char	   *item = pgm_psprintf("%c%s", de->d_type == DT_REG ? '\x02' : '\x01', de->d_name);

			sl_add(&names, item);
			free(item);
		}
	}
	if (names.n > 1)
		qsort(names.items, names.n, sizeof(char *), cmp_name);

	rd->e = pgm_malloc(sizeof(RevEntry) * (names.n ? names.n : 1));
	for (size_t i = 0; i < names.n; i++)
	{
		RevEntry   *e = &rd->e[rd->n];
		const char *name = names.items[i] + 1;
		bool		check_regular = names.items[i][0] == '\x01';

		memset(e, 0, sizeof(*e));
		if (!read_file_at(dirfd(d), name, check_regular, &rb, &e->content, &e->len))
		{
			if (errno == ENOENT)
				continue;		/* a directory (or a dangling link) named *.sql: not ours */
			e->file = pgm_strdup(name);
			e->path = pgm_psprintf("%s/%s", dir, name);
			rd->n++;
			/* reported by revdir_report_errors: loading says nothing */
			e->read_error = pgm_psprintf("could not read file: %s", strerror(errno));
			e->content = pgm_strdup("");
			e->len = 0;
			e->valid = false;
			memset(&e->rf, 0, sizeof(e->rf));
			rd->n_invalid++;
			continue;
		}
		e->file = pgm_strdup(name);
		e->path = pgm_psprintf("%s/%s", dir, name);
		rd->n++;
		e->valid = revfile_parse(&e->rf, e->content, e->len, NULL);
		if (e->rf.out_of_memory)
			pgm_fatal_oom();
		if (e->valid)
			entry_checksum(e);
		else
			rd->n_invalid++;
	}
	sl_free(&names);
	free(rb.data);
	closedir(d);

	/* index of the valid entries by id; duplicates end up side by side */
	rd->by_id = pgm_malloc(sizeof(size_t) * (rd->n ? rd->n : 1));
	for (size_t i = 0; i < rd->n; i++)
		if (rd->e[i].valid)
			rd->by_id[rd->n_by_id++] = i;
	sort_rd = rd;
	if (rd->n_by_id > 1)
		qsort(rd->by_id, rd->n_by_id, sizeof(size_t), cmp_by_id);
	for (size_t i = 1; i < rd->n_by_id; i++)
	{
		RevEntry   *a = &rd->e[rd->by_id[i - 1]];
		RevEntry   *b = &rd->e[rd->by_id[i]];

		if (strcmp(a->rf.revision, b->rf.revision) == 0)
		{
			if (!a->duplicate)
				rd->n_duplicates++;
			a->duplicate = b->duplicate = true;
		}
	}
	return PGM_EXIT_OK;
}

/*
 * Report every problem found by revdir_load: parse errors with file and
 * line, and duplicate ids with every file that declares them.  Returns true
 * when there was none.
 */
bool
revdir_report_errors(const RevDir *rd)
{
	for (size_t i = 0; i < rd->n; i++)
	{
		const RevEntry *e = &rd->e[i];

		if (e->valid)
			continue;
		if (e->read_error)
			pgm_file_error(e->path, 0, "%s", e->read_error);
		for (size_t k = 0; k < e->rf.n_errors; k++)
			pgm_file_error(e->path, e->rf.errors[k].line, "%s", e->rf.errors[k].message);
		if (e->rf.errors_truncated)
			pgm_file_error(e->path, 0, "more problems are not shown");
	}
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const RevEntry *a = &rd->e[rd->by_id[i]];
		StrList		others = {0};
		char	   *list;

		if (!a->duplicate || (i > 0 && strcmp(rd->e[rd->by_id[i - 1]].rf.revision, a->rf.revision) == 0))
			continue;
		for (size_t j = i + 1; j < rd->n_by_id &&
			 strcmp(rd->e[rd->by_id[j]].rf.revision, a->rf.revision) == 0; j++)
			sl_add(&others, rd->e[rd->by_id[j]].file);
		list = sl_join(&others, ", ");
		pgm_file_error(a->path, 1, "revision \"%s\" is also declared by %s",
					   a->rf.revision, list);
		pgm_error_hint("Every revision has one file, named <id>_<slug>.sql; give the copy a new id (pg_migrate revision makes one).");
		free(list);
		sl_free(&others);
	}
	return rd->n_invalid == 0 && rd->n_duplicates == 0;
}

RevEntry *
revdir_find(const RevDir *rd, const char *id)
{
	size_t		lo = 0,
				hi = rd->n_by_id;

	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;
		RevEntry   *e = &rd->e[rd->by_id[mid]];
		int			c = strcmp(e->rf.revision, id);

		if (c == 0)
		{
			/* the first of duplicates */
			while (mid > 0 && strcmp(rd->e[rd->by_id[mid - 1]].rf.revision, id) == 0)
				mid--;
			return &rd->e[rd->by_id[mid]];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
revdir_file_of(const RevDir *rd, const char *id)
{
	RevEntry   *e;

	if (rd == NULL || id == NULL)
		return NULL;
	e = revdir_find(rd, id);
	return e ? e->file : NULL;
}

/*
 * migrate.validate() reports a body's problem with a line counted from the
 * body's start ('upgrade body of "x": line 3, column 5: syntax error').  In
 * the file, the body starts on the line after its section marker: returns
 * that line of the file (0 when the message names no body line, or the file
 * is not known), with *message_out (malloc'd) the message without the
 * body's line number.
 */
size_t
revdir_body_line(const RevDir *rd, const char *id, const char *message,
				 char **message_out)
{
	RevEntry   *e = (rd && id) ? revdir_find(rd, id) : NULL;
	const char *at = message ? strstr(message, "\": line ") : NULL;
	bool		up = message && strncmp(message, "upgrade body of \"", 17) == 0;
	bool		down = message && strncmp(message, "downgrade body of \"", 19) == 0;
	size_t		marker;
	char	   *end;
	unsigned long body_line;

	*message_out = NULL;
	if (e == NULL || at == NULL || (!up && !down))
		return 0;
	marker = up ? e->rf.upgrade_line : e->rf.downgrade_line;
	body_line = strtoul(at + 8, &end, 10);
	if (marker == 0 || body_line == 0 || end == at + 8)
		return 0;
	/* 'line 3, column 5: x' becomes 'column 5: x'; 'line 3: x' becomes 'x' */
	*message_out = pgm_psprintf("%.*s\": %s", (int) (at - message), message,
								strncmp(end, ", ", 2) == 0 ? end + 2 :
								strncmp(end, ": ", 2) == 0 ? end + 2 : end);
	return marker + body_line;
}

/* The offline graph: count children, so heads are known without a server. */
void
revdir_link(RevDir *rd)
{
	for (size_t i = 0; i < rd->n; i++)
		rd->e[i].nchildren = 0;
	for (size_t i = 0; i < rd->n; i++)
	{
		RevEntry   *e = &rd->e[i];

		if (!e->valid)
			continue;
		for (size_t k = 0; k < e->rf.n_down_revision; k++)
		{
			RevEntry   *p = revdir_find(rd, e->rf.down_revision[k]);

			if (p != NULL)
				p->nchildren++;
		}
	}
	for (size_t i = 0; i < rd->n; i++)
		rd->e[i].is_head = rd->e[i].valid && rd->e[i].nchildren == 0;
}

/* Heads of the files (revdir_link first), sorted by id. */
void
revdir_heads(const RevDir *rd, StrList *out)
{
	for (size_t i = 0; i < rd->n_by_id; i++)
	{
		const RevEntry *e = &rd->e[rd->by_id[i]];

		if (e->is_head)
			sl_add_unique(out, e->rf.revision);
	}
}
