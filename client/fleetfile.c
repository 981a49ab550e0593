/*-------------------------------------------------------------------------
 *
 * fleetfile.c
 *	  The parser of a fleet file: see fleetfile.h for the format.
 *
 * Works on (pointer, length), never reads past it, keeps no global state;
 * every allocation hangs off the FleetFile, so fleetfile_free releases all
 * of it whatever happened.  Duplicate detection sorts an index of the
 * entries, so a file of 100,000 lines costs O(n log n).
 *
 *-------------------------------------------------------------------------
 */
#include "fleetfile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
add_error(FleetFile *ff, size_t line, const char *fmt,...)
{
	char		buf[256];
	va_list		ap;
	char	   *msg;
	size_t		len;

	if (ff->out_of_memory)
		return;
	if (ff->n_errors >= FLEETFILE_MAX_ERRORS)
	{
		ff->errors_truncated = true;
		return;
	}
	if (ff->errors == NULL)
	{
		ff->errors = malloc(sizeof(FleetError) * FLEETFILE_MAX_ERRORS);
		if (ff->errors == NULL)
		{
			ff->out_of_memory = true;
			return;
		}
	}
	va_start(ap, fmt);
	if (vsnprintf(buf, sizeof(buf), fmt, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	len = strlen(buf);
	msg = malloc(len + 1);
	if (msg == NULL)
	{
		ff->out_of_memory = true;
		return;
	}
	memcpy(msg, buf, len + 1);
	ff->errors[ff->n_errors].line = line;
	ff->errors[ff->n_errors].message = msg;
	ff->n_errors++;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const FleetEntry *sort_entries;

static int
cmp_entry(const void *a, const void *b)
{
	const FleetEntry *x = &sort_entries[*(const size_t *) a];
	const FleetEntry *y = &sort_entries[*(const size_t *) b];
	int			c = strcmp(x->conninfo, y->conninfo);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* stable insertion sort of the errors by line (at most 50 of them) */
static void
sort_errors(FleetFile *ff)
{
	for (size_t i = 1; i < ff->n_errors; i++)
	{
		FleetError	e = ff->errors[i];
		size_t		j = i;

		while (j > 0 && ff->errors[j - 1].line > e.line)
		{
			ff->errors[j] = ff->errors[j - 1];
			j--;
		}
		ff->errors[j] = e;
	}
}

bool
fleetfile_parse(FleetFile *ff, const char *data, size_t len)
{
	size_t		pos = 0;
	size_t		line = 0;
	size_t		cap = 0;

	memset(ff, 0, sizeof(*ff));
	if (data == NULL)
		len = 0;

	/* a UTF-8 byte-order mark */
	if (len >= 3 && (unsigned char) data[0] == 0xEF &&
		(unsigned char) data[1] == 0xBB && (unsigned char) data[2] == 0xBF)
		pos = 3;

	while (pos < len && !ff->out_of_memory)
	{
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t		end = nl ? (size_t) (nl - data) : len;
		size_t		next = nl ? end + 1 : len;
		size_t		s = pos,
					e = end;
		bool		bad = false;
		char	   *copy;

		line++;
		pos = next;
		if (e > s && data[e - 1] == '\r')
			e--;
		for (size_t i = s; i < e; i++)
		{
			unsigned char c = (unsigned char) data[i];

			if (c == '\0')
			{
				add_error(ff, line, "NUL byte at column %zu", i - s + 1);
				bad = true;
				break;
			}
			if ((c < 0x20 && c != '\t') || c == 0x7F)
			{
				add_error(ff, line, "control character 0x%02X at column %zu", c, i - s + 1);
				bad = true;
				break;
			}
		}
		if (bad)
			continue;
		while (s < e && is_blank(data[s]))
			s++;
		while (e > s && is_blank(data[e - 1]))
			e--;
		if (s == e || data[s] == '#')
			continue;
		if (e - s > FLEETFILE_MAX_LINE)
		{
			add_error(ff, line, "line longer than %d bytes", FLEETFILE_MAX_LINE);
			continue;
		}
		if (ff->n_entries >= FLEETFILE_MAX_ENTRIES)
		{
			add_error(ff, line, "more than %d connection strings", FLEETFILE_MAX_ENTRIES);
			break;
		}
		if (ff->n_entries == cap)
		{
			size_t		ncap = cap ? cap * 2 : 16;
			FleetEntry *ne = realloc(ff->entries, ncap * sizeof(FleetEntry));

			if (ne == NULL)
			{
				ff->out_of_memory = true;
				break;
			}
			ff->entries = ne;
			cap = ncap;
		}
		copy = malloc(e - s + 1);
		if (copy == NULL)
		{
			ff->out_of_memory = true;
			break;
		}
		memcpy(copy, data + s, e - s);
		copy[e - s] = '\0';
		ff->entries[ff->n_entries].line = line;
		ff->entries[ff->n_entries].conninfo = copy;
		ff->n_entries++;
	}

	/* the same connection string twice */
	if (!ff->out_of_memory && ff->n_entries > 1)
	{
		size_t	   *idx = malloc(sizeof(size_t) * ff->n_entries);

		if (idx == NULL)
			ff->out_of_memory = true;
		else
		{
			for (size_t i = 0; i < ff->n_entries; i++)
				idx[i] = i;
			sort_entries = ff->entries;
			qsort(idx, ff->n_entries, sizeof(size_t), cmp_entry);
			for (size_t i = 1; i < ff->n_entries; i++)
			{
				const FleetEntry *a = &ff->entries[idx[i - 1]];
				const FleetEntry *b = &ff->entries[idx[i]];

				if (strcmp(a->conninfo, b->conninfo) == 0)
				{
					size_t		first = i - 1;

					while (first > 0 &&
						   strcmp(ff->entries[idx[first - 1]].conninfo, b->conninfo) == 0)
						first--;
					add_error(ff, b->line, "the same connection string as line %zu",
							  ff->entries[idx[first]].line);
				}
			}
			free(idx);
		}
	}
	sort_errors(ff);
	return ff->n_errors == 0 && !ff->out_of_memory;
}

void
fleetfile_free(FleetFile *ff)
{
	for (size_t i = 0; i < ff->n_entries; i++)
		free(ff->entries[i].conninfo);
	free(ff->entries);
	for (size_t i = 0; i < ff->n_errors; i++)
		free(ff->errors[i].message);
	free(ff->errors);
	memset(ff, 0, sizeof(*ff));
}
