/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small streaming JSON writer (RFC 8259) for --json.
 *
 * Output is indented by two spaces per level.  Strings are written as
 * UTF-8: '"', '\' and every control character (U+0000 to U+001F, and
 * U+007F) are escaped, U+2028 and U+2029 too (so the output is also valid
 * JavaScript); a byte sequence that is not valid UTF-8 (stray continuation
 * bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences) becomes U+FFFD, so the document is always valid.  NaN and
 * infinities, which JSON cannot represent, become null.
 *
 *-------------------------------------------------------------------------
 */
#include "pg_migrate.h"

#include <math.h>
#include <string.h>

void
json_init(JsonWriter *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void
indent(JsonWriter *w)
{
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Before any value: the comma and line break an array element needs. */
static void
value_prefix(JsonWriter *w)
{
	if (w->after_key)
	{
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	fputs(w->need_comma[w->depth] ? ",\n" : "\n", w->out);
	w->need_comma[w->depth] = true;
	indent(w);
}

static void
open_container(JsonWriter *w, char c)
{
	value_prefix(w);
	fputc(c, w->out);
	if (w->depth + 1 < JSON_MAX_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void
close_container(JsonWriter *w, char c)
{
	bool		had_items = w->need_comma[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (had_items)
	{
		fputc('\n', w->out);
		indent(w);
	}
	fputc(c, w->out);
}

void
json_begin_object(JsonWriter *w)
{
	open_container(w, '{');
}

void
json_end_object(JsonWriter *w)
{
	close_container(w, '}');
}

void
json_begin_array(JsonWriter *w)
{
	open_container(w, '[');
}

void
json_end_array(JsonWriter *w)
{
	close_container(w, ']');
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), 0 if the bytes
 * there are not one.
 */
static size_t
utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t		len;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
	{
		len = 2;
		cp = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		cp = c & 0x0F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		cp = c & 0x07;
	}
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* Append the JSON string literal (with its quotes) of s[0..n) to sb. */
void
json_escape(StrBuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	sb_appendc(sb, '"');
	while (i < n)
	{
		unsigned char c = p[i];
		size_t		len;

		switch (c)
		{
			case '"':
				sb_append(sb, "\\\"");
				i++;
				continue;
			case '\\':
				sb_append(sb, "\\\\");
				i++;
				continue;
			case '\n':
				sb_append(sb, "\\n");
				i++;
				continue;
			case '\r':
				sb_append(sb, "\\r");
				i++;
				continue;
			case '\t':
				sb_append(sb, "\\t");
				i++;
				continue;
			case '\b':
				sb_append(sb, "\\b");
				i++;
				continue;
			case '\f':
				sb_append(sb, "\\f");
				i++;
				continue;
			default:
				break;
		}
		if (c < 0x20 || c == 0x7F)
		{
			sb_appendf(sb, "\\u%04x", c);
			i++;
			continue;
		}
		len = utf8_valid_len(p + i, n - i);
		if (len == 0)
		{
			sb_append(sb, "\\ufffd");
			i++;
			continue;
		}
		/* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR */
		if (len == 3 && c == 0xE2 && p[i + 1] == 0x80 &&
			(p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
		{
			sb_append(sb, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 3;
			continue;
		}
		sb_appendn(sb, s + i, len);
		i += len;
	}
	sb_appendc(sb, '"');
}

static void
write_string(JsonWriter *w, const char *s, size_t n)
{
	StrBuf		sb;

	sb_init(&sb);
	json_escape(&sb, s, n);
	fputs(sb.data, w->out);
	sb_free(&sb);
}

void
json_key(JsonWriter *w, const char *key)
{
	value_prefix(w);
	write_string(w, key, strlen(key));
	fputs(": ", w->out);
	w->after_key = true;
}

void
json_string_n(JsonWriter *w, const char *s, size_t n)
{
	value_prefix(w);
	write_string(w, s, n);
}

void
json_string(JsonWriter *w, const char *s)
{
	if (s == NULL)
		json_null(w);
	else
		json_string_n(w, s, strlen(s));
}

void
json_int(JsonWriter *w, long long v)
{
	value_prefix(w);
	fprintf(w->out, "%lld", v);
}

void
json_double(JsonWriter *w, double v)
{
	char		buf[64];
	size_t		len;

	if (isnan(v) || isinf(v))
	{
		json_null(w);
		return;
	}
	value_prefix(w);
	snprintf(buf, sizeof(buf), "%.6f", v);
	/* 0.012000 -> 0.012, 3.000000 -> 3 */
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
	fputs(buf, w->out);
}

void
json_bool(JsonWriter *w, bool v)
{
	value_prefix(w);
	fputs(v ? "true" : "false", w->out);
}

void
json_null(JsonWriter *w)
{
	value_prefix(w);
	fputs("null", w->out);
}

/* A value that is JSON already (a fleet child's document), re-indented as is. */
void
json_raw(JsonWriter *w, const char *text)
{
	size_t		n = strlen(text);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	value_prefix(w);
	for (size_t i = 0; i < n; i++)
	{
		fputc(text[i], w->out);
		if (text[i] == '\n')
			indent(w);
	}
}

void
json_finish(JsonWriter *w)
{
	fputc('\n', w->out);
	fflush(w->out);
}

void
json_kv_string(JsonWriter *w, const char *key, const char *v)
{
	json_key(w, key);
	json_string(w, v);
}

void
json_kv_int(JsonWriter *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void
json_kv_double(JsonWriter *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void
json_kv_bool(JsonWriter *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void
json_kv_strlist(JsonWriter *w, const char *key, const StrList *l)
{
	json_key(w, key);
	json_begin_array(w);
	for (size_t i = 0; l != NULL && i < l->n; i++)
		json_string(w, l->items[i]);
	json_end_array(w);
}
