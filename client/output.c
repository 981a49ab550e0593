/*-------------------------------------------------------------------------
 *
 * output.c
 *	  What every command reports the same way: the JSON document of --json
 *	  (its common keys, the sync report, the diagnostics) and the one-line
 *	  summary a fleet prints for each database.
 *
 * A command that writes its own document opens it with result_begin() and
 * closes it with result_end(); for one that does not, main.c (or fleet.c,
 * in a fleet's child) writes the bare document.
 *
 * IDENTIFICATION
 *	  client/output.c
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <stdarg.h>
#include <stdlib.h>

char	   *command_summary = NULL;
bool		json_emitted = false;

void
set_summary(const char *fmt,...)
{
	va_list		ap;
	char		buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(command_summary);
	command_summary = pgm_strdup(buf);
}

void
json_diags(JsonWriter *w)
{
	json_key(w, "diagnostics");
	json_begin_array(w);
	for (size_t i = 0; i < n_diags; i++)
	{
		Diag	   *d = &diags[i];

		json_begin_object(w);
		json_kv_string(w, "severity", d->severity);
		json_kv_string(w, "message", d->message);
		if (d->sqlstate)
			json_kv_string(w, "sqlstate", d->sqlstate);
		if (d->detail)
			json_kv_string(w, "detail", d->detail);
		if (d->hint)
			json_kv_string(w, "hint", d->hint);
		if (d->context)
			json_kv_string(w, "context", d->context);
		if (d->file)
		{
			json_kv_string(w, "file", d->file);
			if (d->line > 0)
				json_kv_int(w, "line", (long long) d->line);
		}
		json_end_object(w);
	}
	json_end_array(w);
}

void
result_begin(JsonWriter *w, Ctx *ctx, bool ok)
{
	json_init(w, stdout);
	json_begin_object(w);
	json_kv_string(w, "command", command_name);
	json_kv_bool(w, "ok", ok);
	if (opt.project != NULL)
		json_kv_string(w, "project", opt.project);
	if (ctx != NULL && ctx->conn != NULL)
		json_kv_string(w, "database", PQdb(ctx->conn));
	if (sync_report.done)
		sync_json(w, &sync_report);
	if (report_model != NULL)
		model_json_diff(w, report_model);
	json_emitted = true;
}

void
result_end(JsonWriter *w)
{
	json_diags(w);
	json_end_object(w);
	json_finish(w);
}
