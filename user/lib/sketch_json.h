/* sketch_json.h: the /api/v1/sketches JSON document: HyperLogLog registers in base64, rendered by a sensor and parsed by `darknet-counter union`. */
#ifndef DN_SKETCH_JSON_H
#define DN_SKETCH_JSON_H

#include <stddef.h>
#include "sketch.h"
#include "strbuf.h"

/* The hash the registers were filled with: a sketch merges only with
 * sketches of the same precision and hash (docs/distinct-sources.md,
 * "Merging sensors"). Changes whenever dn_sketch_hash4/6 change. */
#define SKETCH_JSON_HASH "mix13-v1"

/* The document (docs/distinct-sources.md has the format):
 * {"precision":12,"hash":"mix13-v1","sensor_time":T,"interval_s":N,
 *  "sketches":[{"iface":"..","family":"ipv4","class":"scan","window":"1h",
 *               "registers":"<base64 of 4096 bytes, register r is byte r>"}]}
 * begin, any number of add (first: whether it is the first entry), end. */
void sketch_json_begin(struct strbuf *sb, double sensor_time, unsigned int interval_s);
void sketch_json_add(struct strbuf *sb, int first, const char *iface, const char *family,
		     const char *cls, const char *window, const struct dn_sketch *s);
void sketch_json_end(struct strbuf *sb);

/* One entry of a parsed document. */
struct sketch_json_entry {
	char iface[64], family[16], cls[32], window[8];
	struct dn_sketch s;
};

/* Called for each entry; a non-zero return stops the parse and is returned. */
typedef int (*sketch_json_fn)(void *ctx, const struct sketch_json_entry *e);

/* Parse a document of len bytes: 0, or -EINVAL with the reason (where, what)
 * in err: not JSON, another precision or hash, registers that are not
 * base64 of 4096 bytes or hold a rank above DN_SKETCH_MAX_RANK. Fields it
 * does not know are skipped. *sensor_time gets the document's (may be NULL). */
int sketch_json_parse(const char *text, size_t len, sketch_json_fn fn, void *ctx,
		      double *sensor_time, char *err, size_t errlen);

/* RFC 4648 base64 (with padding) of n bytes, appended to sb. */
void sketch_json_base64(struct strbuf *sb, const unsigned char *in, size_t n);
/* Decode base64 text of len characters into out (cap bytes): the number of
 * bytes, or -EINVAL (not base64, or more than cap bytes). */
int sketch_json_unbase64(const char *text, size_t len, unsigned char *out, size_t cap);

#endif
