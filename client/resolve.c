/*-------------------------------------------------------------------------
 *
 * resolve.c
 *	  Targets, ranges and plans on the model (model.c), for what the client
 *	  works out itself: "show REV", "history -r A:B", and the offline
 *	  script of "sql --offline [A:]B", which has no database to ask.
 *
 * The grammar and its answers are the extension's (src/target.c and
 * src/range.c, Alembic's): this file is a port of them onto the model,
 * rule for rule and in the same order, so that "pg_migrate show T" names
 * what migrate.resolve(T) names, or refuses where it refuses (with the
 * same message).  test/scenario/client_resolve_agree.sh runs a list of
 * targets through both.  Change the two together.
 *
 *	  base | heads | head
 *	  <anchor>@head | @heads | @base | @+N | @-N | @head-N | @<id>
 *	      | @<id>+N | @<id>-N (the anchor is a branch label or, failing
 *	      that, a revision: <id>@head is the head of its branch)
 *	  +N | -N
 *	  <id>                  (exact; ids may contain "-")
 *	  head-N | heads-N      (below the single head)
 *	  base+N                (base+1 is the single base)
 *	  <branch label>        (the revision that carries it)
 *	  <id or prefix>+N | <id or prefix>-N
 *	  <unique prefix of an id>
 *
 * What differs, on purpose:
 *	  - the client's graph is the files and the registered revisions
 *	    together (a file not yet registered is a revision here);
 *	  - a target names a state, as an end of a range does on the server
 *	    (range.c): "-N", "<label>@-N" and "<label>@base" are read as
 *	    downgrade() would read them (the state left after reverting), the
 *	    rest as upgrade() would; "current" is the applied state.  Offline
 *	    nothing is applied.
 *
 * Errors are reported (pgm_error) and rs_unwind to model_resolve with
 * longjmp: the port keeps the server's shape, where ereport does not
 * return.  What an unwound resolution allocated is left to the process's
 * end (a command resolves a handful of targets).
 *
 * The steps are in resolve_moves.c, labels in resolve_label.c.
 *
 * IDENTIFICATION
 *	  client/resolve.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "idrule.h"
#include "resolve_int.h"

#define MAX_CANDIDATES_SHOWN 10

void
il_add(IdxList *l, int v)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = pgm_realloc(l->v, sizeof(int) * (size_t) l->cap);
	}
	l->v[l->n++] = v;
}

void
il_free(IdxList *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

char *
rs_join_idx(const Model *m, const IdxList *l, int limit)
{
	StrBuf		sb;

	sb_init(&sb);
	for (int i = 0; i < l->n && i < limit; i++)
		sb_appendf(&sb, "%s%s", i ? ", " : "", m->revs[l->v[i]].id);
	if (l->n > limit)
		sb_append(&sb, ", ...");
	return sb.data;
}

void
rs_sort_by_id(const Model *m, IdxList *l)
{
	/* by_id is sorted: walk it and keep the members */
	char	   *mark = calloc((size_t) (m->n ? m->n : 1), 1);
	int			k = 0;

	if (mark == NULL)
		pgm_fatal_oom();
	for (int i = 0; i < l->n; i++)
		mark[l->v[i]] = 1;
	for (int i = 0; i < m->n; i++)
		if (mark[m->by_id[i]])
			l->v[k++] = m->by_id[i];
	l->n = k;
	free(mark);
}

char *
rs_marks_new(const Model *m)
{
	char	   *mark = calloc((size_t) (m->n ? m->n : 1), 1);

	if (mark == NULL)
		pgm_fatal_oom();
	return mark;
}

void
model_heads(const Model *m, IdxList *out)
{
	for (int k = 0; k < m->n; k++)
		if (rev_is_head(&m->revs[m->by_id[k]]))
			il_add(out, m->by_id[k]);
}

/* ---------------------------------------------------------------------
 * Errors: report, then rs_unwind to model_resolve
 * ---------------------------------------------------------------------
 */
static jmp_buf *resolve_unwind;

PGM_NORETURN void
rs_unwind(void)
{
	longjmp(*resolve_unwind, 1);
}

PGM_NORETURN void
rs_malformed(const char *target, const char *detail)
{
	if (strlen(target) > 100)
		pgm_error("malformed target \"%.100s...\"", target);
	else
		pgm_error("malformed target \"%s\"", target);
	pgm_error_detail(detail);
	pgm_error_hint("A target is head, heads, base, a revision id or unique prefix, a branch label, +N, -N, <id>+N, <id>-N, head-N, base+N, or <label>@ followed by head, heads, base, +N, -N, head-N or a revision.");
	rs_unwind();
}

/* Parse the step count of "+N" / "-N" (digits only, at least 1). */
int
rs_step_count(const char *target, const char *digits)
{
	long long	n = 0;

	if (*digits == '\0')
		rs_malformed(target, "A relative step needs a number after the sign.");
	for (const char *p = digits; *p; p++)
	{
		if (*p < '0' || *p > '9')
			rs_malformed(target, "A relative step is a sign followed by digits.");
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
		{
			pgm_error("relative step in target \"%s\" is out of range", target);
			rs_unwind();
		}
	}
	if (n == 0)
	{
		pgm_error("relative step in target \"%s\" must be at least 1", target);
		rs_unwind();
	}
	return (int) n;
}

static bool
is_relative(const char *s)
{
	if (s[0] != '+' && s[0] != '-')
		return false;
	if (s[1] == '\0')
		return false;
	for (const char *p = s + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* An exact id, or a unique prefix of one; errors otherwise. */
int
rs_lookup(const Model *m, const char *target, const char *name)
{
	int			idx = model_find(m, name);
	IdxList		cand = {0};
	const char *reason;
	size_t		len;

	if (idx >= 0)
		return idx;

	/*
	 * head+1, heads+1, base-1, <label>@head+1: a step from a word, not from
	 * a revision (and never a prefix: "head" is no abbreviation of
	 * "headline").  head-N and base+N were read before.
	 */
	if (name != target &&
		(strcmp(name, "head") == 0 || strcmp(name, "heads") == 0 ||
		 strcmp(name, "base") == 0))
	{
		if (strlen(target) > 100)
			pgm_error("target \"%.100s...\" steps beyond \"%s\"", target, name);
		else
			pgm_error("target \"%s\" steps beyond \"%s\"", target, name);
		pgm_error_detail("Nothing lies above a head or below base.");
		pgm_error_hint("Steps count down from a head (head-N, <label>@head-N) and up from base (base+N), or from a revision (<id>+N, <id>-N).");
		rs_unwind();
	}

	/* a prefix must itself look like (the start of) an id */
	if (!migrate_id_is_valid(name, &reason) && !migrate_is_target_word(name))
		rs_malformed(target, reason);
	len = strlen(name);
	for (int k = 0; k < m->n; k++)
		if (strncmp(m->revs[m->by_id[k]].id, name, len) == 0)
			il_add(&cand, m->by_id[k]);
	if (cand.n == 1)
		return cand.v[0];
	if (cand.n == 0)
	{
		pgm_error("revision \"%s\" is not %s", name,
				  m->has_files ? (m->has_db ? "registered and no file declares it" : "declared by any file")
				  : "registered");
		if (strcmp(target, name) != 0)
			pgm_error_detail(pgm_psprintf("It is part of the target \"%s\".", target));
		pgm_error_hint("\"pg_migrate history\" lists the revisions.");
		rs_unwind();
	}
	pgm_error("revision prefix \"%s\" is ambiguous", name);
	pgm_error_detail(pgm_psprintf("It matches %d revisions: %s%s", cand.n,
								  rs_join_idx(m, &cand, MAX_CANDIDATES_SHOWN),
								  cand.n > MAX_CANDIDATES_SHOWN ? "" : "."));
	pgm_error_hint("Give more characters of the id.");
	rs_unwind();
}



/* src/target.c's migrate_resolve_target, on the model */
static void
resolve_target(const Model *m, const char *target, bool down, Resolved *res)
{
	const char *at;
	size_t		len = strlen(target);

	if (len == 0)
		rs_malformed(target, "The target is empty.");
	if (len > 2 * MIGRATE_ID_MAXLEN + 16)
		rs_malformed(target, "The target is too long to be a revision or a label.");
	if (strchr(target, ':') != NULL)
	{
		pgm_error("target \"%s\" is a range", target);
		pgm_error_detail("A range A:B names two states; only sql and history -r take one.");
		rs_unwind();
	}
	if (strcmp(target, "base") == 0)
		return;
	if (strcmp(target, "heads") == 0 || strcmp(target, "head") == 0)
	{
		IdxList		heads = {0};

		model_heads(m, &heads);
		if (heads.n == 0 && m->ntopo < m->n)
		{
			pgm_error("target \"%s\" names nothing: every revision lies on or below a cycle", target);
			pgm_error_hint("\"pg_migrate check\" shows the cycle.");
			rs_unwind();
		}
		if (heads.n == 0)
		{
			pgm_error("target \"%s\" names nothing: there are no revisions", target);
			rs_unwind();
		}
		if (strcmp(target, "head") == 0 && heads.n > 1)
		{
			pgm_error("target \"head\" is ambiguous: there are %d heads", heads.n);
			pgm_error_detail(pgm_psprintf("The heads are %s.", rs_join_idx(m, &heads, INT_MAX)));
			pgm_error_hint("Use 'heads' to go to every head, '<label>@head' for one branch, or add a merge revision.");
			rs_unwind();
		}
		for (int i = 0; i < heads.n; i++)
			rs_add(res, heads.v[i]);
		il_free(&heads);
		return;
	}
	/* the applied state (range.c's "current"), unless a revision has that id */
	if (strcmp(target, "current") == 0 && model_find(m, target) < 0)
	{
		if (!m->has_db)
		{
			pgm_error("target \"current\" needs a database");
			pgm_error_hint("Leave out --offline, or name the revisions.");
			rs_unwind();
		}
		res->revert = rs_marks_new(m);
		return;
	}

	at = strchr(target, '@');
	if (at != NULL)
	{
		rs_resolve_label(m, target, pgm_strndup(target, (size_t) (at - target)), at + 1, down, res);
		return;
	}

	if (is_relative(target))
	{
		int			steps = rs_step_count(target, target + 1);

		if (target[0] == '+')
		{
			char	   *applied = rs_applied_marks(m);

			if (down)
			{
				pgm_error("target \"%s\" moves forward", target);
				pgm_error_hint(pgm_psprintf("Use pg_migrate upgrade %s.", target));
				rs_unwind();
			}
			rs_add(res, rs_forward_from(m, target, steps, NULL, "", applied));
			free(applied);
			return;
		}
		if (!down)
		{
			pgm_error("target \"%s\" moves backward", target);
			pgm_error_hint(pgm_psprintf("Use pg_migrate downgrade %s.", target));
			rs_unwind();
		}
		res->revert = rs_marks_new(m);
		rs_backward(m, target, steps, NULL, "", res->revert);
		return;
	}
	if (target[0] == '+' || target[0] == '-')
		rs_malformed(target, "A relative step is a sign followed by digits.");

	/* an exact id wins over any reading of a trailing "-N" */
	if (model_find(m, target) >= 0)
	{
		rs_add(res, model_find(m, target));
		return;
	}

	/* head-N, heads-N: N steps below the single head */
	{
		int			back = rs_head_minus(target, target);

		if (back > 0)
		{
			IdxList		heads = {0};

			model_heads(m, &heads);
			if (heads.n == 0)
			{
				pgm_error("target \"%s\" names nothing: there are no revisions", target);
				rs_unwind();
			}
			if (heads.n > 1)
			{
				pgm_error("target \"%s\" is ambiguous: there are %d heads", target, heads.n);
				pgm_error_detail(pgm_psprintf("The heads are %s.", rs_join_idx(m, &heads, INT_MAX)));
				pgm_error_hint("Use '<label>@head-N' for one branch, or name the revision.");
				rs_unwind();
			}
			rs_add(res, rs_walk_back(m, target, heads.v[0], back));
			return;
		}
	}

	/* base+N: N steps up from the single base (base+1 is the base itself) */
	if (strncmp(target, "base+", 5) == 0)
	{
		char	   *none = rs_marks_new(m);
		int			steps = rs_step_count(target, target + 5);

		if (down)
		{
			pgm_error("target \"%s\" moves forward", target);
			pgm_error_hint(pgm_psprintf("Use pg_migrate upgrade %s.", target));
			rs_unwind();
		}
		rs_add(res, rs_forward_from(m, target, steps, NULL, "", none));
		free(none);
		return;
	}

	/* a bare branch label: the revision that carries it */
	if (rs_label_owner(m, target) >= 0)
	{
		rs_add(res, rs_find_label(m, target));
		return;
	}

	/* <id>+N, <id>-N */
	{
		const char *sign = NULL;

		for (const char *p = target + len - 1; p > target; p--)
		{
			if (*p >= '0' && *p <= '9')
				continue;
			if ((*p == '+' || *p == '-') && p[1] != '\0')
				sign = p;
			break;
		}
		if (sign == NULL && strchr(target, '+') != NULL)
			rs_malformed(target, "\"+\" may only be followed by a number of steps.");
		if (sign != NULL)
		{
			char	   *base = pgm_strndup(target, (size_t) (sign - target));
			int			steps = rs_step_count(target, sign + 1);
			int			pos;

			/* "abc-2" may be a prefix of "abc-2x": prefer the relative reading */
			pos = rs_lookup(m, target, base);
			for (int s = 0; s < steps; s++)
				pos = (*sign == '+') ? rs_step_forward(m, target, pos, NULL, s, steps)
					: rs_step_backward(m, target, pos, s, steps);
			free(base);
			rs_add(res, pos);
			return;
		}
	}
	rs_add(res, rs_lookup(m, target, target));
}

/* range.c's end_moves_back: read as downgrade() would read it */
static bool
moves_back(const char *target)
{
	size_t		len = strlen(target);

	return target[0] == '-' || strstr(target, "@-") != NULL ||
		(len > 5 && strcmp(target + len - 5, "@base") == 0);
}

/*
 * Resolve "target": its revisions into "out", or a revert set into
 * *revert (malloc'd; the state left is the applied revisions not in it).
 * Returns false after reporting.
 */
static bool
resolve(const Model *m, const char *target, IdxList *out, char **revert)
{
	jmp_buf		here;
	jmp_buf    *outer = resolve_unwind;
	Resolved	res = {out, NULL};

	*revert = NULL;
	resolve_unwind = &here;
	if (setjmp(here) != 0)
	{
		resolve_unwind = outer;
		out->n = 0;
		return false;
	}
	resolve_target(m, target, moves_back(target), &res);
	resolve_unwind = outer;
	*revert = res.revert;
	return true;
}

/* The state left by a revert set: the applied revisions not in it. */
static void
state_after_revert(const Model *m, const char *revert, char *mark)
{
	for (int i = 0; i < m->n; i++)
		mark[i] = rs_is_applied(m, i) && !revert[i];
}

/* Whether revision i of "state" has no child or dependent in the state. */
static bool
state_top(const Model *m, const char *state, int i)
{
	const Rev  *r = &m->revs[i];

	if (!state[i])
		return false;
	for (int c = 0; c < r->nchildren; c++)
		if (state[r->children[c]])
			return false;
	for (int c = 0; c < r->ndependents; c++)
		if (state[r->dependents[c]])
			return false;
	return true;
}

/*
 * The revisions "target" names (out: the tops of the state it names;
 * empty for base).  Returns false after reporting.
 */
bool
model_resolve(const Model *m, const char *target, IdxList *out)
{
	char	   *revert;

	if (!resolve(m, target, out, &revert))
		return false;
	if (revert != NULL)
	{
		char	   *state = rs_marks_new(m);

		state_after_revert(m, revert, state);
		for (int k = 0; k < m->n; k++)
			if (state_top(m, state, m->by_id[k]))
				il_add(out, m->by_id[k]);
		free(state);
		free(revert);
	}
	return true;
}

/*
 * The state "target" names, closed: the revisions, their ancestors and
 * dependencies (mark[i] set).  Returns false after reporting.
 */
bool
model_state(const Model *m, const char *target, char *mark)
{
	IdxList		named = {0};
	IdxList		stack = {0};
	char	   *revert;

	memset(mark, 0, (size_t) (m->n ? m->n : 1));
	if (!resolve(m, target, &named, &revert))
		return false;
	if (revert != NULL)
	{
		state_after_revert(m, revert, mark);
		free(revert);
		il_free(&named);
		return true;
	}
	for (int i = 0; i < named.n; i++)
		if (!mark[named.v[i]])
		{
			mark[named.v[i]] = 1;
			il_add(&stack, named.v[i]);
		}
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		for (int k = 0; k < r->nparents + r->ndepends; k++)
		{
			int			p = k < r->nparents ? r->parent_idx[k] : r->depend_idx[k - r->nparents];

			if (p >= 0 && !mark[p])
			{
				mark[p] = 1;
				il_add(&stack, p);
			}
		}
	}
	il_free(&named);
	il_free(&stack);
	return true;
}

/*
 * A range "A:B", as src/range.c reads it: state A (an empty A is base)
 * and state B (an empty B is every revision); the revisions of B not in
 * A, in the model's order (ancestors first).  "mode": both ends move from
 * the applied state (migrate.history('A:B')), or B moves from state A
 * (migrate.sql('A:B'): the script starts at A), or A from state B (the
 * down script, given as "B:A").  "inclusive" adds A's own
 * revisions (the tops of state A) that state B holds, as
 * migrate.history('A:B') and alembic history -r A:B list A.  "from" and
 * "to" get the states (may be NULL).  Without a colon the range is ":B".
 * *reversed (may be NULL) is set when state B lies below state A: the
 * range is empty because it runs backwards.  Returns false after
 * reporting.
 */
bool
model_range(const Model *m, const char *range, RangeMode mode, bool inclusive,
			IdxList *out, char *from_mark, char *to_mark, bool *reversed)
{
	const char *colon = strchr(range, ':');
	char	   *a = colon ? pgm_strndup(range, (size_t) (colon - range)) : pgm_strdup("");
	const char *b = colon ? colon + 1 : range;
	char	   *from = from_mark ? from_mark : rs_marks_new(m);
	char	   *to = to_mark ? to_mark : rs_marks_new(m);
	bool		ok = true;

	if (reversed)
		*reversed = false;
	if (colon != NULL && strchr(colon + 1, ':') != NULL)
	{
		pgm_error("malformed range \"%s\"", range);
		pgm_error_detail("A range has one colon between its two ends, as in 'A:B', 'A:' or ':B'.");
		ok = false;
	}
	else if (mode == RANGE_A_FROM_B)
	{
		/* B first, against the applied state; then A from state B */
		if (b[0])
			ok = model_state(m, b, to);
		else
			memset(to, 1, (size_t) (m->n ? m->n : 1));
		rs_assumed_applied = to;
		if (ok && a[0])
			ok = model_state(m, a, from);
		else if (ok)
			memset(from, 0, (size_t) (m->n ? m->n : 1));
		rs_assumed_applied = NULL;
	}
	else
	{
		if (a[0])
			ok = model_state(m, a, from);
		else
			memset(from, 0, (size_t) (m->n ? m->n : 1));
		if (mode == RANGE_B_FROM_A)
			rs_assumed_applied = from;
		if (ok && b[0])
			ok = model_state(m, b, to);
		else if (ok)
			memset(to, 1, (size_t) (m->n ? m->n : 1));
		rs_assumed_applied = NULL;
	}
	if (ok)
	{
		bool		below = true;
		bool		same = true;

		for (int i = 0; i < m->n; i++)
		{
			if (to[i] && !from[i])
				below = false;
			if (to[i] != from[i])
				same = false;
		}
		if (reversed)
			*reversed = below && !same;
		for (int k = 0; k < m->ntopo; k++)
		{
			int			i = m->topo[k];

			if (to[i] && (!from[i] || (inclusive && state_top(m, from, i))))
				il_add(out, i);
		}
	}
	free(a);
	if (from_mark == NULL)
		free(from);
	if (to_mark == NULL)
		free(to);
	return ok;
}

/* The heads of a state: marked revisions with no marked child. */
void
model_state_heads(const Model *m, const char *mark, StrList *out)
{
	for (int k = 0; k < m->n; k++)
		if (state_top(m, mark, m->by_id[k]))
			sl_add(out, m->revs[m->by_id[k]].id);
}
