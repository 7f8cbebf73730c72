/* strbuf.h: a growable byte buffer for rendering text (user space only). */
#ifndef DN_STRBUF_H
#define DN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* buf is always NUL-terminated once anything was appended (buf[len] == 0),
 * so it can be handed to C string functions; it may also hold NUL bytes
 * (gzip output), hence len. err is sticky: after a failed append every
 * further append is a no-op returning the same error, so a renderer can
 * append freely and check once at the end. */
struct strbuf {
	char *buf;
	size_t len, cap;
	int err;
};

#define STRBUF_INIT { 0 }

void strbuf_init(struct strbuf *sb);
/* Makes room for extra more bytes (plus the NUL); the content stays
 * NUL-terminated, a fresh buffer then reads as "". 0 or -ENOMEM. */
int strbuf_reserve(struct strbuf *sb, size_t extra);
int strbuf_append(struct strbuf *sb, const void *data, size_t n);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_putc(struct strbuf *sb, char c);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Cuts the content back to len bytes (len <= sb->len); keeps the memory. */
void strbuf_truncate(struct strbuf *sb, size_t len);
/* Empties the buffer and clears err; keeps the memory for reuse. */
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* The content as a C string; "" for a buffer never appended to. */
const char *strbuf_str(const struct strbuf *sb);

#endif
