/* prom.h: a client of the Prometheus HTTP API (also VictoriaMetrics and a federating Prometheus). */
#ifndef DN_REPORT_PROM_H
#define DN_REPORT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "report.h"

/* The client side of exporter-toolkit's TLS and basic auth, as Prometheus's
 * own http_config spells it (ca_file, cert_file, key_file,
 * insecure_skip_verify, basic_auth username and password_file). */
struct prom_opts {
	const char *url;
	const char *ca_file, *cert_file, *key_file;
	bool insecure_skip_verify;
	const char *username, *password_file;
	long timeout_s;
};

struct prom_client {
	void *curl;
	char base[512];
	char password[256];
	struct prom_opts o;
	unsigned int queries;
};

int prom_open(struct prom_client *c, const struct prom_opts *o, char *err, size_t errlen);
void prom_close(struct prom_client *c);

/* GET base + path with form-encoded params (name, value pairs, NULL-ended):
 * *data is the response's "data" member (a new reference). */
int prom_get(struct prom_client *c, const char *path, const char *const *params,
	     json_t **data, char *err, size_t errlen);

/* An instant query at time t whose result is an instant vector: each
 * series' value is added to out under its labels' values joined by '/'
 * (labels NULL-ended; none: key ""). Returns the number of series (0 when
 * the query matched nothing) or -errno. */
int prom_query_vector(struct prom_client *c, const char *expr, double t,
		      const char *const *labels, struct rpt_table *out,
		      char *err, size_t errlen);

/* The metric names with samples between start and end
 * (/api/v1/label/__name__/values). */
int prom_metric_names(struct prom_client *c, double start, double end,
		      struct rpt_table *names, char *err, size_t errlen);

#endif
