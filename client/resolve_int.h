/*-------------------------------------------------------------------------
 *
 * resolve_int.h
 *	  What the files of the client's target resolver share (resolve.c,
 *	  resolve_moves.c, resolve_label.c); the rest of the client uses
 *	  pg_migrate.h's model_resolve, model_state and model_range.
 *
 * IDENTIFICATION
 *	  client/resolve_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef RESOLVE_INT_H
#define RESOLVE_INT_H

#include "pg_migrate.h"

/*
 * What a target resolves to: revisions (a state's tops), or a revert set
 * (what downgrade(target) reverts from the applied state).
 */
typedef struct Resolved
{
	IdxList    *revs;
	char	   *revert;			/* NULL: not a revert set */
} Resolved;

static inline void
rs_add(Resolved *res, int idx)
{
	il_add(res->revs, idx);
}

/* resolve.c */
extern char *rs_join_idx(const Model *m, const IdxList *l, int limit);
extern void rs_sort_by_id(const Model *m, IdxList *l);
extern char *rs_marks_new(const Model *m);
extern PGM_NORETURN void rs_unwind(void);
extern PGM_NORETURN void rs_malformed(const char *target, const char *detail);
extern int	rs_step_count(const char *target, const char *digits);
extern int	rs_lookup(const Model *m, const char *target, const char *name);

/* resolve_moves.c */
extern const char *rs_assumed_applied;
extern bool rs_is_applied(const Model *m, int i);
extern const char *rs_nothing_applied_note(const Model *m);
extern char *rs_applied_marks(const Model *m);
extern int	rs_step_forward(const Model *m, const char *target, int from,
							const char *within, int done, int total);
extern int	rs_step_backward(const Model *m, const char *target, int from,
							 int done, int total);
extern int	rs_walk_back(const Model *m, const char *target, int pos, int steps);
extern int	rs_forward_from(const Model *m, const char *target, int steps,
							const char *within, const char *scope, const char *applied);
extern void rs_backward(const Model *m, const char *target, int steps,
						const char *within, const char *scope, char *revert);

/* resolve_label.c */
extern int	rs_label_owner(const Model *m, const char *label);
extern int	rs_find_label(const Model *m, const char *label);
extern int	rs_head_minus(const char *target, const char *what);
extern void rs_resolve_label(const Model *m, const char *target, const char *label,
							 const char *what, bool down, Resolved *res);

#endif							/* RESOLVE_INT_H */
