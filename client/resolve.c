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
 * Errors are reported (pgm_error) and unwind to model_resolve with
 * longjmp: the port keeps the server's shape, where ereport does not
 * return.  What an unwound resolution allocated is left to the process's
 * end (a command resolves a handful of targets).
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

static char *
join_idx(const Model *m, const IdxList *l, int limit)
{
	StrBuf		sb;

	sb_init(&sb);
	for (int i = 0; i < l->n && i < limit; i++)
		sb_appendf(&sb, "%s%s", i ? ", " : "", m->revs[l->v[i]].id);
	if (l->n > limit)
		sb_append(&sb, ", ...");
	return sb.data;
}

static void
sort_by_id(const Model *m, IdxList *l)
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

static char *
marks_new(const Model *m)
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
 * Errors: report, then unwind to model_resolve
 * ---------------------------------------------------------------------
 */
static jmp_buf *resolve_unwind;

static PGM_NORETURN void
unwind(void)
{
	longjmp(*resolve_unwind, 1);
}

static PGM_NORETURN void
target_malformed(const char *target, const char *detail)
{
	if (strlen(target) > 100)
		pgm_error("malformed target \"%.100s...\"", target);
	else
		pgm_error("malformed target \"%s\"", target);
	pgm_error_detail(detail);
	pgm_error_hint("A target is head, heads, base, a revision id or unique prefix, a branch label, +N, -N, <id>+N, <id>-N, head-N, base+N, or <label>@ followed by head, heads, base, +N, -N, head-N or a revision.");
	unwind();
}

/* Parse the step count of "+N" / "-N" (digits only, at least 1). */
static int
parse_step_count(const char *target, const char *digits)
{
	long long	n = 0;

	if (*digits == '\0')
		target_malformed(target, "A relative step needs a number after the sign.");
	for (const char *p = digits; *p; p++)
	{
		if (*p < '0' || *p > '9')
			target_malformed(target, "A relative step is a sign followed by digits.");
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
		{
			pgm_error("relative step in target \"%s\" is out of range", target);
			unwind();
		}
	}
	if (n == 0)
	{
		pgm_error("relative step in target \"%s\" must be at least 1", target);
		unwind();
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
static int
lookup_revision(const Model *m, const char *target, const char *name)
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
		unwind();
	}

	/* a prefix must itself look like (the start of) an id */
	if (!migrate_id_is_valid(name, &reason) && !migrate_is_target_word(name))
		target_malformed(target, reason);
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
		unwind();
	}
	pgm_error("revision prefix \"%s\" is ambiguous", name);
	pgm_error_detail(pgm_psprintf("It matches %d revisions: %s%s", cand.n,
								  join_idx(m, &cand, MAX_CANDIDATES_SHOWN),
								  cand.n > MAX_CANDIDATES_SHOWN ? "" : "."));
	pgm_error_hint("Give more characters of the id.");
	unwind();
}

/* A walk of more steps than there are revisions has gone round a cycle. */
static void
check_walk(const Model *m, const char *target, int from, int done)
{
	if (done > m->n)
	{
		pgm_error("target \"%s\" goes round a cycle through revision \"%s\"",
				  target, m->revs[from].id);
		pgm_error_hint("\"pg_migrate check\" shows the cycle.");
		unwind();
	}
}

/* The unique child of "from" inside "within" (NULL: anywhere). */
static int
step_forward(const Model *m, const char *target, int from, const char *within,
			 int done, int total)
{
	const Rev  *r = &m->revs[from];
	IdxList		kids = {0};

	check_walk(m, target, from, done);
	for (int j = 0; j < r->nchildren; j++)
		if (within == NULL || within[r->children[j]])
			il_add(&kids, r->children[j]);
	if (kids.n == 1)
	{
		int			next = kids.v[0];

		il_free(&kids);
		return next;
	}
	if (kids.n == 0)
	{
		pgm_error("target \"%s\" goes past a head", target);
		pgm_error_detail(pgm_psprintf("Revision \"%s\" has no child: only %d of %d steps are possible.",
									  r->id, done, total));
		unwind();
	}
	sort_by_id(m, &kids);
	pgm_error("target \"%s\" is ambiguous: revision \"%s\" has %d children",
			  target, r->id, kids.n);
	pgm_error_detail(pgm_psprintf("Its children are %s.", join_idx(m, &kids, INT_MAX)));
	pgm_error_hint("Name the revision to go to, or use <label>@+N.");
	unwind();
}

/* The unique parent of "from". */
static int
step_backward(const Model *m, const char *target, int from, int done, int total)
{
	const Rev  *r = &m->revs[from];

	check_walk(m, target, from, done);
	if (r->nparents == 1 && r->parent_idx[0] >= 0)
		return r->parent_idx[0];
	if (r->nparents == 0)
	{
		pgm_error("target \"%s\" goes past a base", target);
		pgm_error_detail(pgm_psprintf("Revision \"%s\" has no parent: only %d of %d steps are possible.",
									  r->id, done, total));
	}
	else if (r->nparents == 1)
		pgm_error("revision \"%s\" names parent \"%s\", which is not %s",
				  r->id, r->parents[0], m->has_db ? "registered" : "declared by any file");
	else
	{
		pgm_error("target \"%s\" is ambiguous: revision \"%s\" is a merge of %d parents",
				  target, r->id, r->nparents);
		pgm_error_hint("Name the revision to go to.");
	}
	unwind();
}

/*
 * Currents inside "within" (NULL: all): applied revisions of the set with
 * no applied child and no applied dependent in the set.
 */
static void
currents_within(const Model *m, const char *within, const char *applied,
				IdxList *out)
{
	for (int i = 0; i < m->n; i++)
	{
		const Rev  *r = &m->revs[i];
		bool		leaf = true;

		if (!applied[i] || (within && !within[i]))
			continue;
		for (int j = 0; j < r->nchildren + r->ndependents && leaf; j++)
		{
			int			c = j < r->nchildren ? r->children[j]
				: r->dependents[j - r->nchildren];

			if (applied[c] && (within == NULL || within[c]))
				leaf = false;
		}
		if (leaf)
			il_add(out, i);
	}
	sort_by_id(m, out);
}

/*
 * The one unapplied revision inside "within" whose parents are exactly the
 * current revisions "cur": the merge that joins them; -1 if none or several.
 */
static int
merge_of_currents(const Model *m, const char *within, const char *applied,
				  const IdxList *cur)
{
	int			found = -1;
	const Rev  *first = &m->revs[cur->v[0]];

	for (int j = 0; j < first->nchildren; j++)
	{
		int			mg = first->children[j];
		const Rev  *r = &m->revs[mg];
		int			matched = 0;

		if (applied[mg] || !within[mg] || r->nparents != cur->n)
			continue;
		for (int p = 0; p < r->nparents; p++)
			for (int c = 0; c < cur->n; c++)
				if (r->parent_idx[p] == cur->v[c])
					matched++;
		if (matched != cur->n)
			continue;
		if (found >= 0)
			return -1;
		found = mg;
	}
	return found;
}

/*
 * The applied state targets move from: the database's (Rev.applied), or
 * the state a range's other end names while model_range resolves this one
 * (as migrate.sql('A:B') resolves B from state A).
 */
static const char *assumed_applied;

static bool
is_applied(const Model *m, int i)
{
	return assumed_applied ? assumed_applied[i] != 0 : m->revs[i].applied;
}

static const char *
nothing_applied_note(const Model *m)
{
	return m->has_db || assumed_applied ? "" : " (offline: nothing is applied)";
}

/* "+N" inside "within": from the single current revision, or the single base. */
static int
relative_forward_from(const Model *m, const char *target, int steps,
					  const char *within, const char *scope, const char *applied)
{
	IdxList		cur = {0};
	int			pos;
	int			done;

	currents_within(m, within, applied, &cur);
	if (cur.n == 0)
	{
		IdxList		bases = {0};

		for (int k = 0; k < m->n; k++)
		{
			int			i = m->by_id[k];

			if (rev_is_base(&m->revs[i]) && (within == NULL || within[i]))
				il_add(&bases, i);
		}
		if (bases.n == 0)
		{
			pgm_error("target \"%s\": there are no revisions%s", target, scope);
			unwind();
		}
		if (bases.n > 1)
		{
			pgm_error("target \"%s\" is ambiguous: nothing is applied and there are %d bases%s",
					  target, bases.n, scope);
			pgm_error_detail(pgm_psprintf("The bases are %s.", join_idx(m, &bases, INT_MAX)));
			pgm_error_hint("Use <label>@+N, or name the revision to go to.");
			unwind();
		}
		pos = bases.v[0];
		done = 1;
	}
	else if (cur.n > 1 && within != NULL &&
			 (pos = merge_of_currents(m, within, applied, &cur)) >= 0)
		done = 1;				/* Alembic's answer: the merge of the branch's currents */
	else if (cur.n > 1)
	{
		pgm_error("target \"%s\" is ambiguous: %d revisions are current%s",
				  target, cur.n, scope);
		pgm_error_detail(pgm_psprintf("The current revisions are %s.", join_idx(m, &cur, INT_MAX)));
		pgm_error_hint("Use <id>+N or <label>@+N.");
		unwind();
	}
	else
	{
		pos = cur.v[0];
		done = 0;
	}
	for (; done < steps; done++)
		pos = step_forward(m, target, pos, within, done, steps);
	il_free(&cur);
	return pos;
}

static char *
applied_marks(const Model *m)
{
	char	   *applied = marks_new(m);

	for (int i = 0; i < m->n; i++)
		applied[i] = is_applied(m, i);
	return applied;
}

/* "-N" inside "within": revert the single current revision, N times. */
static void
relative_backward(const Model *m, const char *target, int steps,
				  const char *within, const char *scope, char *revert)
{
	char	   *applied = applied_marks(m);
	IdxList		cur = {0};

	currents_within(m, within, applied, &cur);
	for (int s = 0; s < steps; s++)
	{
		const Rev  *r;
		int			x;

		if (cur.n == 0 && s == 0)
		{
			pgm_error("target \"%s\": nothing is applied%s%s", target, scope,
					  nothing_applied_note(m));
			unwind();
		}
		if (cur.n == 0)
		{
			pgm_error("target \"%s\" goes past base%s", target, scope);
			pgm_error_detail(pgm_psprintf("Only %d revision%s can be reverted.", s, s == 1 ? "" : "s"));
			unwind();
		}
		if (cur.n > 1)
		{
			pgm_error("target \"%s\" is ambiguous: %d revisions are current%s",
					  target, cur.n, s > 0 ? " after the first steps" : scope);
			pgm_error_detail(pgm_psprintf("The current revisions are %s.", join_idx(m, &cur, INT_MAX)));
			pgm_error_hint("Downgrade to a revision id, or use <label>@-N.");
			unwind();
		}
		x = cur.v[0];
		r = &m->revs[x];
		applied[x] = 0;
		revert[x] = 1;
		/* what is left with no applied child or dependent becomes current */
		cur.n = 0;
		for (int j = 0; j < r->nparents + r->ndepends; j++)
		{
			int			p = j < r->nparents ? r->parent_idx[j]
				: r->depend_idx[j - r->nparents];
			const Rev  *pr;
			bool		leaf = true;

			if (p < 0 || !applied[p] || (within && !within[p]))
				continue;
			pr = &m->revs[p];
			for (int c = 0; c < pr->nchildren + pr->ndependents && leaf; c++)
			{
				int			k = c < pr->nchildren ? pr->children[c]
					: pr->dependents[c - pr->nchildren];

				if (applied[k] && (within == NULL || within[k]))
					leaf = false;
			}
			if (leaf)
			{
				bool		dup = false;

				for (int c = 0; c < cur.n; c++)
					dup = dup || cur.v[c] == p;
				if (!dup)
					il_add(&cur, p);
			}
		}
		sort_by_id(m, &cur);
	}
	il_free(&cur);
	free(applied);
}

/* The revision that carries "label", or -1 when none does. */
static int
label_owner(const Model *m, const char *label)
{
	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		for (int j = 0; j < r->nlabels; j++)
			if (strcmp(r->labels[j], label) == 0)
				return m->by_id[k];
	}
	return -1;
}

/* The revision that carries "label"; errors if several do. */
static int
find_label(const Model *m, const char *label)
{
	int			found = -1;
	int			second = -1;
	int			nfound = 0;

	for (int k = 0; k < m->n; k++)
	{
		const Rev  *r = &m->revs[m->by_id[k]];

		for (int j = 0; j < r->nlabels; j++)
			if (strcmp(r->labels[j], label) == 0)
			{
				if (nfound == 0)
					found = m->by_id[k];
				else
					second = m->by_id[k];
				nfound++;
			}
	}
	if (nfound == 0)
	{
		pgm_error("branch label \"%s\" does not exist", label);
		unwind();
	}
	if (nfound > 1)
	{
		pgm_error("branch label \"%s\" is on %d revisions", label, nfound);
		pgm_error_detail(pgm_psprintf("Among them \"%s\" and \"%s\".",
									  m->revs[found].id, m->revs[second].id));
		unwind();
	}
	return found;
}

static int
walk_back(const Model *m, const char *target, int pos, int steps)
{
	for (int s = 0; s < steps; s++)
		pos = step_backward(m, target, pos, s, steps);
	return pos;
}

/* The heads among the revisions marked in "below", sorted by id. */
static void
heads_within(const Model *m, const char *below, IdxList *out)
{
	for (int k = 0; k < m->n; k++)
		if (below[m->by_id[k]] && rev_is_head(&m->revs[m->by_id[k]]))
			il_add(out, m->by_id[k]);
}

/* "head-N" / "heads-N": the N, or 0 if not that form. */
static int
head_minus(const char *target, const char *what)
{
	const char *rest;

	if (strncmp(what, "heads-", 6) == 0)
		rest = what + 6;
	else if (strncmp(what, "head-", 5) == 0)
		rest = what + 5;
	else
		return 0;
	/* "head-1x" may be a prefix of an id such as "head-1xyz" */
	if (*rest == '\0' || strspn(rest, "0123456789") != strlen(rest))
		return 0;
	return parse_step_count(target, rest);
}

/* "from" and its descendants (children only) */
static void
mark_descendants(const Model *m, int from, char *mark)
{
	IdxList		stack = {0};

	mark[from] = 1;
	il_add(&stack, from);
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		for (int k = 0; k < r->nchildren; k++)
			if (!mark[r->children[k]])
			{
				mark[r->children[k]] = 1;
				il_add(&stack, r->children[k]);
			}
	}
	il_free(&stack);
}

/* "from" and its ancestors through parents */
static void
mark_parent_ancestors(const Model *m, int from, char *mark)
{
	IdxList		stack = {0};

	mark[from] = 1;
	il_add(&stack, from);
	while (stack.n > 0)
	{
		const Rev  *r = &m->revs[stack.v[--stack.n]];

		for (int k = 0; k < r->nparents; k++)
		{
			int			p = r->parent_idx[k];

			if (p >= 0 && !mark[p])
			{
				mark[p] = 1;
				il_add(&stack, p);
			}
		}
	}
	il_free(&stack);
}

/*
 * What a target resolves to: revisions (a state's tops), or a revert set
 * (what downgrade(target) reverts from the applied state).
 */
typedef struct Resolved
{
	IdxList    *revs;
	char	   *revert;			/* NULL: not a revert set */
} Resolved;

static void
one(Resolved *res, int idx)
{
	il_add(res->revs, idx);
}

/* <anchor>@<what> */
static void
resolve_label(const Model *m, const char *target, const char *label,
			  const char *what, bool down, Resolved *res)
{
	const char *reason;
	int			anchor;
	char	   *branch;
	char	   *below;
	char	   *scope;
	char	   *branch_name;
	int			back = 0;

	if (*label == '\0')
		target_malformed(target, "A branch label is needed before \"@\".");
	if (!migrate_id_is_valid(label, &reason))
		target_malformed(target, reason);
	if (strchr(what, '@') != NULL)
		target_malformed(target, "A target has at most one \"@\".");
	if (*what == '\0')
		target_malformed(target, "After \"@\" comes head, heads, base, +N, -N, head-N or a revision.");

	if (label_owner(m, label) >= 0)
	{
		anchor = find_label(m, label);
		branch_name = pgm_psprintf("branch \"%s\"", label);
	}
	else
	{
		int			idx = model_find(m, label);

		/* not a label: a revision, as in <id>@head */
		if (idx < 0)
		{
			bool		any = false;

			for (int i = 0; i < m->n && !any; i++)
				any = strncmp(m->revs[i].id, label, strlen(label)) == 0;
			if (!any)
			{
				pgm_error("branch label \"%s\" does not exist", label);
				pgm_error_detail("No revision has that label, and no revision id starts with it.");
				unwind();
			}
			idx = lookup_revision(m, target, label);
		}
		anchor = idx;
		branch_name = pgm_psprintf("the branch of revision \"%s\"", m->revs[idx].id);
	}
	scope = pgm_psprintf(" on %s", branch_name);

	/* branch = ancestors + anchor + descendants; below = anchor + descendants */
	branch = marks_new(m);
	below = marks_new(m);
	mark_descendants(m, anchor, below);
	memcpy(branch, below, (size_t) m->n);
	mark_parent_ancestors(m, anchor, branch);

	if (strcmp(what, "head") == 0 || strcmp(what, "heads") == 0 ||
		(back = head_minus(target, what)) > 0)
	{
		IdxList		heads = {0};

		heads_within(m, below, &heads);
		if (strcmp(what, "heads") == 0)
		{
			for (int i = 0; i < heads.n; i++)
				one(res, heads.v[i]);
			return;
		}
		if (heads.n != 1)
		{
			pgm_error("%s has %d heads", branch_name, heads.n);
			pgm_error_detail(pgm_psprintf("Its heads are %s.", join_idx(m, &heads, INT_MAX)));
			pgm_error_hint("Merge them with a revision that names both as down_revision, or target one by id.");
			unwind();
		}
		if (strcmp(what, "head") == 0)
			one(res, heads.v[0]);
		else
			one(res, walk_back(m, target, heads.v[0], back));
		return;
	}
	if (strcmp(what, "base") == 0)
	{
		char	   *outside_anc = marks_new(m);

		if (!down)
		{
			pgm_error("target \"%s\" is a downgrade target", target);
			pgm_error_hint(pgm_psprintf("Use pg_migrate downgrade %s.", target));
			unwind();
		}
		/* the branch's own revisions: not shared with revisions outside it */
		for (int i = 0; i < m->n; i++)
			if (!branch[i])
				mark_parent_ancestors(m, i, outside_anc);
		res->revert = marks_new(m);
		for (int i = 0; i < m->n; i++)
			res->revert[i] = branch[i] && !outside_anc[i];
		return;
	}
	if (what[0] == '+' || what[0] == '-')
	{
		int			steps = parse_step_count(target, what + 1);

		if (what[0] == '+')
		{
			char	   *applied = applied_marks(m);

			if (down)
			{
				pgm_error("target \"%s\" moves forward", target);
				pgm_error_hint(pgm_psprintf("Use pg_migrate upgrade %s.", target));
				unwind();
			}
			one(res, relative_forward_from(m, target, steps, branch, scope, applied));
			return;
		}
		else
		{
			bool		own_applied = false;

			if (!down)
			{
				pgm_error("target \"%s\" moves backward", target);
				pgm_error_hint(pgm_psprintf("Use pg_migrate downgrade %s.", target));
				unwind();
			}
			/* a step back must revert the branch's own revisions, never the trunk below */
			for (int i = 0; i < m->n && !own_applied; i++)
				own_applied = below[i] && is_applied(m, i);
			if (!own_applied)
			{
				pgm_error("target \"%s\": nothing of %s is applied%s", target, branch_name,
						  nothing_applied_note(m));
				pgm_error_detail(pgm_psprintf("Revision \"%s\" and the revisions above it are not applied; stepping back would revert revisions of another branch.",
											  m->revs[anchor].id));
				unwind();
			}
			res->revert = marks_new(m);
			relative_backward(m, target, steps, branch, scope, res->revert);
			return;
		}
	}

	/* <anchor>@<id>, <anchor>@<id>+N, <anchor>@<id>-N: a revision of the branch */
	{
		const char *sign = NULL;
		size_t		len = strlen(what);
		char	   *name = (char *) what;
		int			steps = 0;
		int			pos;

		for (const char *p = what + len - 1; p > what; p--)
		{
			if (*p >= '0' && *p <= '9')
				continue;
			if ((*p == '+' || *p == '-') && p[1] != '\0')
				sign = p;
			break;
		}
		/* an exact id wins over the relative reading, as without "@" */
		if (sign != NULL && model_find(m, what) >= 0)
			sign = NULL;
		if (sign != NULL)
		{
			name = pgm_strndup(what, (size_t) (sign - what));
			steps = parse_step_count(target, sign + 1);
		}
		pos = lookup_revision(m, target, name);
		if (!branch[pos])
		{
			pgm_error("revision \"%s\" is not on %s", m->revs[pos].id, branch_name);
			pgm_error_hint("A branch is its labelled revision with its ancestors and descendants.");
			unwind();
		}
		for (int s = 0; s < steps; s++)
			pos = (*sign == '+') ? step_forward(m, target, pos, branch, s, steps)
				: step_backward(m, target, pos, s, steps);
		one(res, pos);
	}
}

/* src/target.c's migrate_resolve_target, on the model */
static void
resolve_target(const Model *m, const char *target, bool down, Resolved *res)
{
	const char *at;
	size_t		len = strlen(target);

	if (len == 0)
		target_malformed(target, "The target is empty.");
	if (len > 2 * MIGRATE_ID_MAXLEN + 16)
		target_malformed(target, "The target is too long to be a revision or a label.");
	if (strchr(target, ':') != NULL)
	{
		pgm_error("target \"%s\" is a range", target);
		pgm_error_detail("A range A:B names two states; only sql and history -r take one.");
		unwind();
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
			unwind();
		}
		if (heads.n == 0)
		{
			pgm_error("target \"%s\" names nothing: there are no revisions", target);
			unwind();
		}
		if (strcmp(target, "head") == 0 && heads.n > 1)
		{
			pgm_error("target \"head\" is ambiguous: there are %d heads", heads.n);
			pgm_error_detail(pgm_psprintf("The heads are %s.", join_idx(m, &heads, INT_MAX)));
			pgm_error_hint("Use 'heads' to go to every head, '<label>@head' for one branch, or add a merge revision.");
			unwind();
		}
		for (int i = 0; i < heads.n; i++)
			one(res, heads.v[i]);
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
			unwind();
		}
		res->revert = marks_new(m);
		return;
	}

	at = strchr(target, '@');
	if (at != NULL)
	{
		resolve_label(m, target, pgm_strndup(target, (size_t) (at - target)), at + 1, down, res);
		return;
	}

	if (is_relative(target))
	{
		int			steps = parse_step_count(target, target + 1);

		if (target[0] == '+')
		{
			char	   *applied = applied_marks(m);

			if (down)
			{
				pgm_error("target \"%s\" moves forward", target);
				pgm_error_hint(pgm_psprintf("Use pg_migrate upgrade %s.", target));
				unwind();
			}
			one(res, relative_forward_from(m, target, steps, NULL, "", applied));
			free(applied);
			return;
		}
		if (!down)
		{
			pgm_error("target \"%s\" moves backward", target);
			pgm_error_hint(pgm_psprintf("Use pg_migrate downgrade %s.", target));
			unwind();
		}
		res->revert = marks_new(m);
		relative_backward(m, target, steps, NULL, "", res->revert);
		return;
	}
	if (target[0] == '+' || target[0] == '-')
		target_malformed(target, "A relative step is a sign followed by digits.");

	/* an exact id wins over any reading of a trailing "-N" */
	if (model_find(m, target) >= 0)
	{
		one(res, model_find(m, target));
		return;
	}

	/* head-N, heads-N: N steps below the single head */
	{
		int			back = head_minus(target, target);

		if (back > 0)
		{
			IdxList		heads = {0};

			model_heads(m, &heads);
			if (heads.n == 0)
			{
				pgm_error("target \"%s\" names nothing: there are no revisions", target);
				unwind();
			}
			if (heads.n > 1)
			{
				pgm_error("target \"%s\" is ambiguous: there are %d heads", target, heads.n);
				pgm_error_detail(pgm_psprintf("The heads are %s.", join_idx(m, &heads, INT_MAX)));
				pgm_error_hint("Use '<label>@head-N' for one branch, or name the revision.");
				unwind();
			}
			one(res, walk_back(m, target, heads.v[0], back));
			return;
		}
	}

	/* base+N: N steps up from the single base (base+1 is the base itself) */
	if (strncmp(target, "base+", 5) == 0)
	{
		char	   *none = marks_new(m);
		int			steps = parse_step_count(target, target + 5);

		if (down)
		{
			pgm_error("target \"%s\" moves forward", target);
			pgm_error_hint(pgm_psprintf("Use pg_migrate upgrade %s.", target));
			unwind();
		}
		one(res, relative_forward_from(m, target, steps, NULL, "", none));
		free(none);
		return;
	}

	/* a bare branch label: the revision that carries it */
	if (label_owner(m, target) >= 0)
	{
		one(res, find_label(m, target));
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
			target_malformed(target, "\"+\" may only be followed by a number of steps.");
		if (sign != NULL)
		{
			char	   *base = pgm_strndup(target, (size_t) (sign - target));
			int			steps = parse_step_count(target, sign + 1);
			int			pos;

			/* "abc-2" may be a prefix of "abc-2x": prefer the relative reading */
			pos = lookup_revision(m, target, base);
			for (int s = 0; s < steps; s++)
				pos = (*sign == '+') ? step_forward(m, target, pos, NULL, s, steps)
					: step_backward(m, target, pos, s, steps);
			free(base);
			one(res, pos);
			return;
		}
	}
	one(res, lookup_revision(m, target, target));
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
		mark[i] = is_applied(m, i) && !revert[i];
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
		char	   *state = marks_new(m);

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
	char	   *from = from_mark ? from_mark : marks_new(m);
	char	   *to = to_mark ? to_mark : marks_new(m);
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
		assumed_applied = to;
		if (ok && a[0])
			ok = model_state(m, a, from);
		else if (ok)
			memset(from, 0, (size_t) (m->n ? m->n : 1));
		assumed_applied = NULL;
	}
	else
	{
		if (a[0])
			ok = model_state(m, a, from);
		else
			memset(from, 0, (size_t) (m->n ? m->n : 1));
		if (mode == RANGE_B_FROM_A)
			assumed_applied = from;
		if (ok && b[0])
			ok = model_state(m, b, to);
		else if (ok)
			memset(to, 1, (size_t) (m->n ? m->n : 1));
		assumed_applied = NULL;
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
