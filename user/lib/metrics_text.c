/* metrics_text.c: the pieces of Prometheus text format 0.0.4 every metric family is written with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics_text.h"

/* Text format 0.0.4 label values escape backslash, double quote and
 * newline. Interface names may hold '"' and '\\' (Linux only forbids '/',
 * ':' and whitespace), org names come from pinned maps: escape them all. */
void metrics_put_escaped(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '\\')
			strbuf_puts(sb, "\\\\");
		else if (s[i] == '"')
			strbuf_puts(sb, "\\\"");
		else if (s[i] == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_putc(sb, s[i]);
	}
}

void metrics_escape_iface(char out[IFACE_LABEL_LEN], const char *name)
{
	size_t o = 0;

	for (size_t i = 0; i < IF_NAMESIZE && name[i]; i++) {
		if (name[i] == '\\' || name[i] == '"' || name[i] == '\n')
			out[o++] = '\\';
		out[o++] = name[i] == '\n' ? 'n' : name[i];
	}
	out[o] = '\0';
}

void metrics_header(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Shortest text that reads back as the same double, as Go's exporters
 * print floats: 2^96 addresses is 7.922816251426434e+28, not 17 digits. */
void metrics_put_double(struct strbuf *sb, double v)
{
	char buf[32];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	strbuf_puts(sb, buf);
}
