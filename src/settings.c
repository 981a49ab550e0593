/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  Every setting of the session a body could change, saved before a
 *	  non-transactional revision and put back after it.
 *
 * A transactional body runs at a GUC nest level of its own, and
 * AtEOXact_GUC discards whatever it set.  A non-transactional body's
 * statements run in transactions of their own, and top-level commands
 * commit by themselves, so no nest level spans the revision: what the body
 * SETs must reach its later statements (SET maintenance_work_mem before
 * CREATE INDEX CONCURRENTLY), and be undone when the revision ends.  Undoing
 * only the settings named in SET statements misses set_config() calls and
 * RESET ALL; across the role boundary (rights.c) that would let a body
 * registered by another role leave, say, a search_path that resolves the
 * caller's next statements to its own functions.  So the value of every
 * setting a session may change (user and superuser settings, not the
 * transaction_* ones, which belong to each transaction) is saved, and each
 * one that differs afterwards is set back, as the caller: first the role
 * (a body's SET ROLE decides which settings may be set), then the rest.
 *
 * IDENTIFICATION
 *	  src/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "migrate.h"

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

typedef struct SavedSetting
{
	const char *name;
	char	   *value;
} SavedSetting;

struct MigrateSettings
{
	int			n;
	SavedSetting *items;
};

/* Settings a session changes with SET, apart from the per-transaction ones. */
static bool
is_session_setting(struct config_generic *gconf)
{
	if (gconf->context != PGC_USERSET && gconf->context != PGC_SUSET)
		return false;
	/* role and session_authorization are set back first, separately */
	if (strcmp(gconf->name, "role") == 0 ||
		strcmp(gconf->name, "session_authorization") == 0)
		return true;
	return (gconf->flags & GUC_NO_RESET_ALL) == 0;
}

static char *
current_value(const char *name)
{
	const char *v = GetConfigOption(name, true, false);

	return v ? pstrdup(v) : NULL;
}

MigrateSettings *
migrate_settings_save(void)
{
	MigrateSettings *saved = palloc(sizeof(MigrateSettings));
	int			nvars;
	struct config_generic **vars;

#if PG_VERSION_NUM >= 160000
	vars = get_guc_variables(&nvars);
#else
	vars = get_guc_variables();
	nvars = GetNumConfigOptions();
#endif
	saved->n = 0;
	saved->items = palloc(sizeof(SavedSetting) * Max(nvars, 1));
	for (int i = 0; i < nvars; i++)
	{
		struct config_generic *gconf = vars[i];

		if (gconf == NULL || !is_session_setting(gconf))
			continue;
		saved->items[saved->n].name = pstrdup(gconf->name);
		saved->items[saved->n].value = current_value(gconf->name);
		saved->n++;
	}
	return saved;
}

static void
put_back(SavedSetting *s)
{
	char	   *now;

	if (s->value == NULL)
		return;
	now = current_value(s->name);
	if (now != NULL && strcmp(now, s->value) == 0)
		return;
	(void) set_config_option(s->name, s->value,
							 superuser() ? PGC_SUSET : PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SET, true,
							 WARNING, false);
}

void
migrate_settings_restore(MigrateSettings *saved)
{
	if (saved == NULL)
		return;
	/* who the caller is first: it decides which settings may be set */
	for (int i = 0; i < saved->n; i++)
		if (strcmp(saved->items[i].name, "session_authorization") == 0)
			put_back(&saved->items[i]);
	for (int i = 0; i < saved->n; i++)
		if (strcmp(saved->items[i].name, "role") == 0)
			put_back(&saved->items[i]);
	for (int i = 0; i < saved->n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (strcmp(saved->items[i].name, "role") != 0 &&
			strcmp(saved->items[i].name, "session_authorization") != 0)
			put_back(&saved->items[i]);
	}
}
