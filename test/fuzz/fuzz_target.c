/*
 * libFuzzer harness for the target grammar (src/target.c) and the revision
 * graph it resolves against (src/graph.c): migrate_resolve_target,
 * migrate_plan_upgrade and migrate_plan_downgrade on a graph built from the
 * input, the way src/catalog.c builds one from the catalog.
 *
 * target.c and graph.c are backend code: they allocate in memory contexts,
 * raise errors with ereport and keep lists.  Below, a small stand-in for
 * those backend services (memory contexts over malloc, so ASan sees every
 * chunk; ereport that longjmps back to the harness with the SQLSTATE;
 * List cells) lets the extension's own files run unchanged in a process of
 * their own.  ids.c and common/idrule.c (the id rule, target words),
 * common/checksum.c and PostgreSQL's frontend libpgcommon/libpgport
 * (StringInfo, hash_bytes, qsort_arg, psprintf) are linked as they are.
 *
 * Checks, beyond the sanitizers (ASan, UBSan):
 *   - an error always carries one of the SQLSTATEs target.c documents
 *     (22023, 22003, 42704, 42P09, 21000, 42P17, 55000): never XX000, the
 *     code of an elog or of an ereport without errcode;
 *   - a resolved target names revisions of the graph; "base" names none;
 *   - a plan lists each revision once, only unapplied registered ones for
 *     an upgrade and only applied ones for a downgrade, parents before
 *     children (upgrade) or children before parents (downgrade) when the
 *     graph has no cycle;
 *   - the exact id of a registered revision resolves to that revision;
 *   - every input's memory is freed (LeakSanitizer).
 *
 * Input layout, one item per line:
 *   line 1   the target
 *   line 2   options: D downgrade, S stamp (any form), else upgrade; M
 *            migrate.report_memory on; a digit chooses the revision whose
 *            exact id is resolved too
 *   then     one revision per line: id|parents|depends|labels|flags, lists
 *            comma-separated, flags a (applied), u (only applied, not
 *            registered), i (irreversible), n (non-transactional)
 *
 * Build and run: test/fuzz/run_target.sh [seconds]
 */
#include "migrate.h"

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes/memnodes.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REVISIONS 256

static void
fail(const char *what, const char *target)
{
	fprintf(stderr, "invariant violated: %s\ntarget: \"%s\"\n", what, target);
	abort();
}

/* ----------------------------------------------------------------------
 * Memory contexts: every chunk a malloc of its own, listed in its context
 * ----------------------------------------------------------------------
 */
typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	struct FuzzContext *owner;
	size_t		size;
	max_align_t pad[];			/* the data follows, maximally aligned */
} Chunk;

typedef struct FuzzContext
{
	MemoryContextData base;		/* first: a MemoryContext points here */
	Chunk	   *chunks;
} FuzzContext;

MemoryContext CurrentMemoryContext = NULL;

/* no top context: graph.c then keeps no memory between graphs */
MemoryContext TopMemoryContext = NULL;

void
MemoryContextRegisterResetCallback(MemoryContext context,
								   MemoryContextCallback *cb)
{
	abort();					/* graph.c registers none without a top context */
}

void
MemoryContextReset(MemoryContext context)
{
	abort();					/* nor resets any */
}

volatile sig_atomic_t InterruptPending = false;
bool		migrate_report_memory = false;

void
ProcessInterrupts(void)
{
}

static MemoryContext
fuzz_context_create(MemoryContext parent, const char *name)
{
	FuzzContext *c = calloc(1, sizeof(FuzzContext));

	if (c == NULL)
		abort();
	c->base.type = T_AllocSetContext;
	c->base.name = name;
	c->base.parent = parent;
	if (parent)
	{
		c->base.nextchild = parent->firstchild;
		if (parent->firstchild)
			parent->firstchild->prevchild = &c->base;
		parent->firstchild = &c->base;
	}
	return &c->base;
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	return fuzz_context_create(parent, name);
}

void
MemoryContextDelete(MemoryContext context)
{
	FuzzContext *c = (FuzzContext *) context;

	while (context->firstchild)
		MemoryContextDelete(context->firstchild);
	if (context->parent)
	{
		if (context->prevchild)
			context->prevchild->nextchild = context->nextchild;
		else
			context->parent->firstchild = context->nextchild;
		if (context->nextchild)
			context->nextchild->prevchild = context->prevchild;
	}
	while (c->chunks)
	{
		Chunk	   *next = c->chunks->next;

		free(c->chunks);
		c->chunks = next;
	}
	if (CurrentMemoryContext == context)
		CurrentMemoryContext = context->parent;
	free(c);
}

Size
MemoryContextMemAllocated(MemoryContext context, bool recurse)
{
	Size		total = context->mem_allocated;

	if (recurse)
		for (MemoryContext child = context->firstchild; child; child = child->nextchild)
			total += MemoryContextMemAllocated(child, true);
	return total;
}

static void *
chunk_alloc(MemoryContext context, Size size, int flags)
{
	FuzzContext *c = (FuzzContext *) context;
	Chunk	   *ch;

	if (!(flags & MCXT_ALLOC_HUGE) && size > MaxAllocSize)
		fail("allocation request above MaxAllocSize without MCXT_ALLOC_HUGE", "");
	ch = malloc(sizeof(Chunk) + size);
	if (ch == NULL)
		abort();
	ch->owner = c;
	ch->size = size;
	ch->prev = NULL;
	ch->next = c->chunks;
	if (c->chunks)
		c->chunks->prev = ch;
	c->chunks = ch;
	context->mem_allocated += size;
	if (flags & MCXT_ALLOC_ZERO)
		memset(ch->pad, 0, size);
	return ch->pad;
}

static Chunk *
chunk_of(void *pointer)
{
	return (Chunk *) ((char *) pointer - offsetof(Chunk, pad));
}

static void
chunk_unlink(Chunk *ch)
{
	if (ch->prev)
		ch->prev->next = ch->next;
	else
		ch->owner->chunks = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	ch->owner->base.mem_allocated -= ch->size;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return chunk_alloc(context, size, 0);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return chunk_alloc(context, size, MCXT_ALLOC_ZERO);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return chunk_alloc(context, size, flags);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return chunk_alloc(context, size, MCXT_ALLOC_HUGE);
}

void *
palloc(Size size)
{
	return chunk_alloc(CurrentMemoryContext, size, 0);
}

void *
palloc0(Size size)
{
	return chunk_alloc(CurrentMemoryContext, size, MCXT_ALLOC_ZERO);
}

void *
palloc_extended(Size size, int flags)
{
	return chunk_alloc(CurrentMemoryContext, size, flags);
}

void
pfree(void *pointer)
{
	Chunk	   *ch = chunk_of(pointer);

	chunk_unlink(ch);
	free(ch);
}

static void *
chunk_realloc(void *pointer, Size size, int flags)
{
	Chunk	   *ch = chunk_of(pointer);
	FuzzContext *owner = ch->owner;
	void	   *fresh = chunk_alloc(&owner->base, size, flags);

	memcpy(fresh, pointer, Min(size, ch->size));
	pfree(pointer);
	return fresh;
}

void *
repalloc(void *pointer, Size size)
{
	return chunk_realloc(pointer, size, 0);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return chunk_realloc(pointer, size, MCXT_ALLOC_HUGE);
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

/* ----------------------------------------------------------------------
 * ereport: errors jump back to the harness with their SQLSTATE
 * ----------------------------------------------------------------------
 */
static sigjmp_buf *error_jump = NULL;
static int	error_elevel;
static int	error_sqlstate;
static char error_message[1024];

bool
errstart(int elevel, const char *domain)
{
	if (elevel < ERROR)
	{
		error_elevel = 0;
		return elevel >= NOTICE;	/* format NOTICEs too: their arguments count */
	}
	error_elevel = elevel;
	error_sqlstate = ERRCODE_INTERNAL_ERROR;
	error_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_elevel < ERROR)
		return;
	if (error_jump == NULL)
		fail("ereport(ERROR) outside the harness's guard", "");
	siglongjmp(*error_jump, 1);
}

int
errcode(int sqlerrcode)
{
	error_sqlstate = sqlerrcode;
	return 0;
}

static void
format_into(char *buf, size_t len, const char *fmt, va_list args)
{
	vsnprintf(buf, len, fmt, args);
}

#define FORMAT_ARGS(buf) \
	do { va_list args; va_start(args, fmt); format_into(buf, sizeof(buf), fmt, args); va_end(args); } while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_ARGS(error_message);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_ARGS(error_message);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	char		scratch[1024];

	FORMAT_ARGS(scratch);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	char		scratch[1024];

	FORMAT_ARGS(scratch);
	return 0;
}

int
errhint(const char *fmt,...)
{
	char		scratch[1024];

	FORMAT_ARGS(scratch);
	return 0;
}

char *
unpack_sql_state(int sql_state)
{
	static char buf[12];

	for (int i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

/* ----------------------------------------------------------------------
 * The rest of the backend that target.c, graph.c and ids.c reach
 * ----------------------------------------------------------------------
 */
static List *
list_append_cell(List *list, NodeTag type)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 4 * sizeof(ListCell));
		list->type = type;
		list->length = 0;
		list->max_length = 4;
		list->elements = list->initial_elements;
	}
	else if (list->length == list->max_length)
	{
		int			grown = list->max_length * 2;
		ListCell   *cells = palloc(grown * sizeof(ListCell));

		memcpy(cells, list->elements, list->length * sizeof(ListCell));
		if (list->elements != list->initial_elements)
			pfree(list->elements);
		list->elements = cells;
		list->max_length = grown;
	}
	list->length++;
	return list;
}

List *
lappend(List *list, void *datum)
{
	list = list_append_cell(list, T_List);
	lfirst(&list->elements[list->length - 1]) = datum;
	return list;
}

List *
lappend_int(List *list, int datum)
{
	list = list_append_cell(list, T_IntList);
	lfirst_int(&list->elements[list->length - 1]) = datum;
	return list;
}

/* UTF-8: the longest prefix of at most limit bytes that ends on a character */
int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	int			n = Min(len, limit);

	while (n > 0 && n < len && (((unsigned char) mbstr[n]) & 0xC0) == 0x80)
		n--;
	return n;
}

char *
quote_literal_cstr(const char *rawstr)
{
	size_t		len = strlen(rawstr);
	char	   *out = palloc(len * 2 + 4);
	char	   *o = out;

	if (strchr(rawstr, '\\'))
		*o++ = 'E';
	*o++ = '\'';
	for (const char *p = rawstr; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			*o++ = *p;
		*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* ids.c's SQL-facing functions are not reached from the target grammar */
#include "ids_backend.h"

/* ----------------------------------------------------------------------
 * The harness
 * ----------------------------------------------------------------------
 */

/* split s on sep into a graph-owned array; empty items are dropped */
static char **
split_list(MigrateGraph *graph, const char *s, size_t len, char sep, int *count)
{
	char	  **items = migrate_graph_alloc(graph, sizeof(char *) * (len / 2 + 1), true);
	int			n = 0;
	size_t		start = 0;

	for (size_t i = 0; i <= len; i++)
		if (i == len || s[i] == sep)
		{
			if (i > start)
				items[n++] = migrate_graph_strndup(graph, s + start, i - start);
			start = i + 1;
		}
	*count = n;
	return n > 0 ? items : NULL;
}

typedef struct Spec
{
	const char *field[5];		/* id, parents, depends, labels, flags */
	size_t		len[5];
} Spec;

static bool
has_flag(const Spec *s, char flag)
{
	return memchr(s->field[4], flag, s->len[4]) != NULL;
}

static bool
is_plain_id(const char *id)
{
	/* the forms the grammar tries before an exact id */
	return strcmp(id, "base") != 0 && strcmp(id, "head") != 0 &&
		strcmp(id, "heads") != 0 && strchr(id, '@') == NULL &&
		strchr(id, ':') == NULL &&	/* a range (ids have no colon) */
		id[0] != '+' && id[0] != '-' && strlen(id) <= 2 * MIGRATE_ID_MAXLEN + 16;
}

static void
check_plan(MigrateGraph *graph, const int *plan, int count, bool up,
		   const char *target)
{
	int		   *position = palloc(sizeof(int) * Max(graph->nrevs, 1));

	for (int i = 0; i < graph->nrevs; i++)
		position[i] = -1;
	for (int i = 0; i < count; i++)
	{
		const MigrateRevision *r;

		if (plan[i] < 0 || plan[i] >= graph->nrevs)
			fail("a plan names a revision outside the graph", target);
		if (position[plan[i]] >= 0)
			fail("a plan lists a revision twice", target);
		position[plan[i]] = i;
		r = &graph->revs[plan[i]];
		if (up && (!r->registered || r->applied))
			fail("an upgrade plan runs a revision that is applied or not registered", target);
		if (!up && !r->applied)
			fail("a downgrade plan reverts a revision that is not applied", target);
	}
	if (graph->cycles == NIL)
		for (int i = 0; i < count; i++)
		{
			const MigrateRevision *r = &graph->revs[plan[i]];

			for (int k = 0; k < r->nparents; k++)
			{
				int			p = r->parent_idx[k];

				if (p < 0 || position[p] < 0)
					continue;
				if (up ? position[p] > i : position[p] < i)
					fail(up ? "an upgrade plan runs a child before its parent"
						 : "a downgrade plan reverts a parent before its child", target);
			}
		}
	pfree(position);
}

static void
check_sqlstate(const char *target)
{
	switch (error_sqlstate)
	{
		case ERRCODE_INVALID_PARAMETER_VALUE:
		case ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE:
		case ERRCODE_UNDEFINED_OBJECT:
		case ERRCODE_AMBIGUOUS_ALIAS:
		case ERRCODE_CARDINALITY_VIOLATION:
		case ERRCODE_INVALID_OBJECT_DEFINITION:
		case ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE:
			return;
	}
	fprintf(stderr, "error \"%s\" with SQLSTATE %s\n", error_message,
			unpack_sql_state(error_sqlstate));
	fail("an error without one of target.c's SQLSTATEs", target);
}

/* resolve and plan; false if an ereport(ERROR) came back */
static bool
resolve_and_plan(MigrateGraph *graph, const char *target, MigrateDirection dir,
				 MigrateTarget **resolved)
{
	sigjmp_buf	jump;
	MemoryContext cxt = CurrentMemoryContext;

	*resolved = NULL;
	if (sigsetjmp(jump, 0) != 0)
	{
		error_jump = NULL;
		CurrentMemoryContext = cxt;
		check_sqlstate(target);
		return false;
	}
	error_jump = &jump;
	{
		MigrateTarget *t = migrate_resolve_target(graph, target, dir);
		int			count;
		int		   *plan;

		if (t->is_base && t->nrevs != 0)
			fail("base resolves to revisions", target);
		for (int i = 0; i < t->nrevs; i++)
			if (t->revs[i] < 0 || t->revs[i] >= graph->nrevs)
				fail("a target names a revision outside the graph", target);
		*resolved = t;
		if (dir != MIGRATE_DOWN)
		{
			plan = migrate_plan_upgrade(graph, t, &count);
			check_plan(graph, plan, count, true, target);
		}
		if (dir != MIGRATE_UP)
		{
			plan = migrate_plan_downgrade(graph, t, &count);
			check_plan(graph, plan, count, false, target);
		}
	}
	error_jump = NULL;
	return true;
}

static MigrateGraph *
build_graph(MemoryContext parent, Spec *specs, int n)
{
	MigrateGraph *graph = migrate_graph_create(parent, n);
	MemoryContext old = MemoryContextSwitchTo(graph->cxt);

	/* the catalog scan: registered revisions, then the applied table */
	for (int i = 0; i < n; i++)
	{
		Spec	   *s = &specs[i];
		MigrateRevision *r;

		if (has_flag(s, 'u'))
			continue;
		r = migrate_graph_append(graph, migrate_graph_strndup(graph, s->field[0], s->len[0]));
		r->registered = true;
		r->parents = split_list(graph, s->field[1], s->len[1], ',', &r->nparents);
		r->depends = split_list(graph, s->field[2], s->len[2], ',', &r->ndepends);
		r->labels = split_list(graph, s->field[3], s->len[3], ',', &r->nlabels);
		r->has_downgrade = !has_flag(s, 'i');
		r->transactional = !has_flag(s, 'n');
	}
	migrate_graph_index_appended(graph);
	for (int i = 0; i < n; i++)
	{
		Spec	   *s = &specs[i];
		char	   *id;
		bool		found;

		if (!has_flag(s, 'a') && !has_flag(s, 'u'))
			continue;
		id = pnstrdup(s->field[0], s->len[0]);
		migrate_graph_add(graph, id, &found)->applied = true;
		pfree(id);
	}
	MemoryContextSwitchTo(old);
	migrate_graph_link(graph);
	return graph;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	const char *end = text + size;
	const char *line = text;
	const char *nl;
	char	   *target;
	const char *options = "";
	size_t		options_len = 0;
	Spec		specs[MAX_REVISIONS];
	int			nspecs = 0;
	MemoryContext input_cxt;
	MigrateDirection dir = MIGRATE_UP;
	int			pick = -1;
	MigrateGraph *graph;
	MigrateTarget *resolved;

	if (memchr(data, '\0', size) != NULL)
		return -1;				/* a text argument never holds a NUL */

	input_cxt = fuzz_context_create(NULL, "fuzz input");
	CurrentMemoryContext = input_cxt;

	nl = memchr(line, '\n', end - line);
	target = pnstrdup(line, (nl ? nl : end) - line);
	line = nl ? nl + 1 : end;
	if (line < end)
	{
		nl = memchr(line, '\n', end - line);
		options = line;
		options_len = (nl ? nl : end) - line;
		line = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < options_len; i++)
	{
		if (options[i] == 'D')
			dir = MIGRATE_DOWN;
		else if (options[i] == 'S')
			dir = MIGRATE_ANY;
		else if (options[i] == 'M')
			migrate_report_memory = true;
		else if (options[i] >= '0' && options[i] <= '9')
			pick = options[i] - '0';
	}
	while (line < end && nspecs < MAX_REVISIONS)
	{
		Spec	   *s = &specs[nspecs];
		const char *stop;
		const char *p = line;

		nl = memchr(line, '\n', end - line);
		stop = nl ? nl : end;
		line = nl ? nl + 1 : end;
		for (int f = 0; f < 5; f++)
		{
			const char *bar = (f < 4) ? memchr(p, '|', stop - p) : NULL;
			const char *fend = bar ? bar : stop;

			s->field[f] = p;
			s->len[f] = fend - p;
			p = bar ? bar + 1 : stop;
		}
		if (s->len[0] == 0 || s->len[0] > MIGRATE_ID_MAXLEN)
			continue;
		nspecs++;
	}

	graph = build_graph(input_cxt, specs, nspecs);
	(void) resolve_and_plan(graph, target, dir, &resolved);

	/* the exact id of a registered revision names it */
	if (pick >= 0 && pick < nspecs && !has_flag(&specs[pick], 'u'))
	{
		char	   *id = pnstrdup(specs[pick].field[0], specs[pick].len[0]);
		int			idx = migrate_graph_find(graph, id);

		if (idx >= 0 && graph->revs[idx].registered && is_plain_id(id))
		{
			if (!resolve_and_plan(graph, id, MIGRATE_ANY, &resolved) &&
				resolved == NULL)
				fail("the exact id of a registered revision does not resolve", id);
			if (resolved->nrevs != 1 || resolved->revs[0] != idx)
				fail("the exact id of a registered revision resolves to something else", id);
		}
	}

	migrate_graph_free(graph, "fuzz");
	migrate_report_memory = false;
	MemoryContextDelete(input_cxt);
	CurrentMemoryContext = NULL;
	return 0;
}
