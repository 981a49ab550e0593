/*-------------------------------------------------------------------------
 *
 * resolve_moves.c
 *	  The steps of the client's target resolver (resolve.c): one step
 *	  forward or back, +N from the applied state (or a branch's), -N as
 *	  the revisions a downgrade reverts; src/target.c's, on the model.
 *
 * Errors are reported and unwind (rs_unwind) to model_resolve.
 *
 * IDENTIFICATION
 *	  client/resolve_moves.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

/* A walk of more steps than there are revisions has gone round a cycle. */
static void
check_walk(const Model *m, const char *target, int from, int done)
{
	if (done > m->n)
	{
		pgm_error("target \"%s\" goes round a cycle through revision \"%s\"",
				  target, m->revs[from].id);
		pgm_error_hint("\"pg_migrate check\" shows the cycle.");
		rs_unwind();
	}
}

/* The unique child of "from" inside "within" (NULL: anywhere). */
int
rs_step_forward(const Model *m, const char *target, int from, const char *within,
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
		rs_unwind();
	}
	rs_sort_by_id(m, &kids);
	pgm_error("target \"%s\" is ambiguous: revision \"%s\" has %d children",
			  target, r->id, kids.n);
	pgm_error_detail(pgm_psprintf("Its children are %s.", rs_join_idx(m, &kids, INT_MAX)));
	pgm_error_hint("Name the revision to go to, or use <label>@+N.");
	rs_unwind();
}

/* The unique parent of "from". */
int
rs_step_backward(const Model *m, const char *target, int from, int done, int total)
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
	rs_unwind();
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
	rs_sort_by_id(m, out);
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
const char *rs_assumed_applied;

bool
rs_is_applied(const Model *m, int i)
{
	return rs_assumed_applied ? rs_assumed_applied[i] != 0 : m->revs[i].applied;
}

const char *
rs_nothing_applied_note(const Model *m)
{
	return m->has_db || rs_assumed_applied ? "" : " (offline: nothing is applied)";
}

/* "+N" inside "within": from the single current revision, or the single base. */
int
rs_forward_from(const Model *m, const char *target, int steps,
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
			rs_unwind();
		}
		if (bases.n > 1)
		{
			pgm_error("target \"%s\" is ambiguous: nothing is applied and there are %d bases%s",
					  target, bases.n, scope);
			pgm_error_detail(pgm_psprintf("The bases are %s.", rs_join_idx(m, &bases, INT_MAX)));
			pgm_error_hint("Use <label>@+N, or name the revision to go to.");
			rs_unwind();
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
		pgm_error_detail(pgm_psprintf("The current revisions are %s.", rs_join_idx(m, &cur, INT_MAX)));
		pgm_error_hint("Use <id>+N or <label>@+N.");
		rs_unwind();
	}
	else
	{
		pos = cur.v[0];
		done = 0;
	}
	for (; done < steps; done++)
		pos = rs_step_forward(m, target, pos, within, done, steps);
	il_free(&cur);
	return pos;
}

char *
rs_applied_marks(const Model *m)
{
	char	   *applied = rs_marks_new(m);

	for (int i = 0; i < m->n; i++)
		applied[i] = rs_is_applied(m, i);
	return applied;
}

/* "-N" inside "within": revert the single current revision, N times. */
void
rs_backward(const Model *m, const char *target, int steps,
				  const char *within, const char *scope, char *revert)
{
	char	   *applied = rs_applied_marks(m);
	IdxList		cur = {0};

	currents_within(m, within, applied, &cur);
	for (int s = 0; s < steps; s++)
	{
		const Rev  *r;
		int			x;

		if (cur.n == 0 && s == 0)
		{
			pgm_error("target \"%s\": nothing is applied%s%s", target, scope,
					  rs_nothing_applied_note(m));
			rs_unwind();
		}
		if (cur.n == 0)
		{
			pgm_error("target \"%s\" goes past base%s", target, scope);
			pgm_error_detail(pgm_psprintf("Only %d revision%s can be reverted.", s, s == 1 ? "" : "s"));
			rs_unwind();
		}
		if (cur.n > 1)
		{
			pgm_error("target \"%s\" is ambiguous: %d revisions are current%s",
					  target, cur.n, s > 0 ? " after the first steps" : scope);
			pgm_error_detail(pgm_psprintf("The current revisions are %s.", rs_join_idx(m, &cur, INT_MAX)));
			pgm_error_hint("Downgrade to a revision id, or use <label>@-N.");
			rs_unwind();
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
		rs_sort_by_id(m, &cur);
	}
	il_free(&cur);
	free(applied);
}

int
rs_walk_back(const Model *m, const char *target, int pos, int steps)
{
	for (int s = 0; s < steps; s++)
		pos = rs_step_backward(m, target, pos, s, steps);
	return pos;
}
