/* report_main.c: `darknet-counter report`: options, then query, render and write the report. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report_main.h"
#include "report_html.h"
#include "report_json.h"
#include "report_pdf.h"
#include "report_query.h"

enum {
	OPT_PROMETHEUS = 256, OPT_FROM, OPT_TO, OPT_YEAR, OPT_MONTH, OPT_COMPARE, OPT_SENSOR,
	OPT_OUTPUT, OPT_PDF, OPT_JSON, OPT_CA, OPT_CERT, OPT_KEY, OPT_INSECURE, OPT_USERNAME,
	OPT_PASSWORD_FILE, OPT_TIMEOUT, OPT_HELP,
};

static const struct {
	struct option opt;
	const char *arg, *help;
} options[] = {
	{ { "prometheus", required_argument, NULL, OPT_PROMETHEUS }, "URL",
	  "Prometheus (or VictoriaMetrics, or a federating Prometheus) to read" },
	{ { "from", required_argument, NULL, OPT_FROM }, "DATE", "first day, YYYY-MM-DD (UTC)" },
	{ { "to", required_argument, NULL, OPT_TO }, "DATE", "last day, YYYY-MM-DD, included" },
	{ { "year", required_argument, NULL, OPT_YEAR }, "YYYY", "the calendar year YYYY" },
	{ { "month", required_argument, NULL, OPT_MONTH }, "YYYY-MM", "the calendar month YYYY-MM" },
	{ { "compare", required_argument, NULL, OPT_COMPARE }, "FROM TO",
	  "compare with the days FROM to TO (or one YYYY or YYYY-MM)" },
	{ { "sensor", required_argument, NULL, OPT_SENSOR }, "NAME",
	  "only this sensor (repeatable; default: all)" },
	{ { "output", required_argument, NULL, OPT_OUTPUT }, "FILE", "write the HTML page to FILE" },
	{ { "pdf", required_argument, NULL, OPT_PDF }, "FILE",
	  "also print it to FILE as PDF (headless Chromium)" },
	{ { "json", required_argument, NULL, OPT_JSON }, "FILE", "also write every figure to FILE as JSON" },
	{ { "ca-file", required_argument, NULL, OPT_CA }, "FILE", "CA certificates for an https:// URL" },
	{ { "cert-file", required_argument, NULL, OPT_CERT }, "FILE", "client certificate (TLS)" },
	{ { "key-file", required_argument, NULL, OPT_KEY }, "FILE", "client certificate's key" },
	{ { "insecure-skip-verify", no_argument, NULL, OPT_INSECURE }, NULL,
	  "do not verify the server's certificate" },
	{ { "username", required_argument, NULL, OPT_USERNAME }, "NAME", "basic auth user name" },
	{ { "password-file", required_argument, NULL, OPT_PASSWORD_FILE }, "FILE",
	  "basic auth password, read from FILE" },
	{ { "timeout", required_argument, NULL, OPT_TIMEOUT }, "SEC",
	  "give up on a query after SEC seconds (default 60)" },
	{ { "help", no_argument, NULL, OPT_HELP }, NULL, "print this help" },
};
#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

struct report_args {
	struct prom_opts prom;
	const char *from, *to, *cmp_from, *cmp_to, *output, *pdf, *json;
	const char *sensors[RPT_MAX_SENSORS];
	int nr_sensors;
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: darknet-counter report --prometheus URL --output FILE.html\n"
		"         (--year YYYY | --month YYYY-MM | --from DATE --to DATE) [OPTIONS]\n\n"
		"Turns a period of darknet data in Prometheus into an observation report:\n"
		"an HTML page, and a PDF and JSON on request.\n\nOptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", options[i].opt.name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		fprintf(out, "  %-30s %s\n", left, options[i].help);
	}
}

/* YYYY, YYYY-MM or YYYY-MM-DD: its first and last day. */
static int parse_span(const char *text, time_t *from, time_t *to_incl)
{
	char buf[16];
	int y, m, n = 0;

	if (sscanf(text, "%4d%n", &y, &n) == 1 && !text[n] && n == 4) {
		snprintf(buf, sizeof(buf), "%04d-01-01", y);
		rpt_parse_date(buf, from);
		snprintf(buf, sizeof(buf), "%04d-01-01", y + 1);
		rpt_parse_date(buf, to_incl);
	} else if (sscanf(text, "%4d-%2d%n", &y, &m, &n) == 2 && !text[n] && n == 7 &&
		   m >= 1 && m <= 12) {
		snprintf(buf, sizeof(buf), "%04d-%02d-01", y, m);
		rpt_parse_date(buf, from);
		snprintf(buf, sizeof(buf), "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
		rpt_parse_date(buf, to_incl);
	} else {
		if (rpt_parse_date(text, from))
			return -EINVAL;
		*to_incl = *from;
		return 0;
	}
	*to_incl -= 86400;
	return y >= 1970 ? 0 : -EINVAL;
}

static int parse_args(struct report_args *a, int argc, char **argv)
{
	struct option longopts[NR_OPTIONS + 1] = { 0 };
	int c;

	for (size_t i = 0; i < NR_OPTIONS; i++)
		longopts[i] = options[i].opt;
	a->prom.timeout_s = 60;
	optind = 1;
	/* '+': no reordering, so --compare's second word is still argv[optind]. */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PROMETHEUS: a->prom.url = optarg; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case OPT_YEAR: case OPT_MONTH: a->from = a->to = optarg; break;
		case OPT_COMPARE:
			a->cmp_from = a->cmp_to = optarg;
			if (strlen(optarg) == 10) {
				if (optind >= argc || argv[optind][0] == '-') {
					fprintf(stderr, "darknet-counter report: --compare %s: "
						"needs the last day too (--compare FROM TO)\n", optarg);
					return -EINVAL;
				}
				a->cmp_to = argv[optind++];
			}
			break;
		case OPT_SENSOR:
			if (a->nr_sensors == RPT_MAX_SENSORS) {
				fprintf(stderr, "darknet-counter report: more than %d --sensor\n",
					RPT_MAX_SENSORS);
				return -EINVAL;
			}
			a->sensors[a->nr_sensors++] = optarg;
			break;
		case OPT_OUTPUT: a->output = optarg; break;
		case OPT_PDF: a->pdf = optarg; break;
		case OPT_JSON: a->json = optarg; break;
		case OPT_CA: a->prom.ca_file = optarg; break;
		case OPT_CERT: a->prom.cert_file = optarg; break;
		case OPT_KEY: a->prom.key_file = optarg; break;
		case OPT_INSECURE: a->prom.insecure_skip_verify = true; break;
		case OPT_USERNAME: a->prom.username = optarg; break;
		case OPT_PASSWORD_FILE: a->prom.password_file = optarg; break;
		case OPT_TIMEOUT:
			a->prom.timeout_s = strtol(optarg, NULL, 10);
			if (a->prom.timeout_s <= 0) {
				fprintf(stderr, "darknet-counter report: --timeout %s: not a "
					"positive number of seconds\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h': case OPT_HELP: usage(stdout); return 1;
		default: return -EINVAL;   /* getopt printed the reason */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "darknet-counter report: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!a->prom.url || !a->output || !a->from || !a->to) {
		fprintf(stderr, "darknet-counter report: --prometheus, --output and a period "
			"(--year, --month or --from and --to) are needed; see --help\n");
		return -EINVAL;
	}
	return 0;
}

static int set_period(struct rpt_period *p, const char *from, const char *to,
		      enum rpt_scale *scale, const char *what, char *err, size_t errlen)
{
	time_t f, t, unused;
	char why[128];

	if (parse_span(from, &f, &unused) || parse_span(to, &unused, &t)) {
		snprintf(err, errlen, "%s %s %s: not YYYY-MM-DD, YYYY-MM or YYYY", what, from, to);
		return -EINVAL;
	}
	if (t > time(NULL) + 86400 * 366) {
		snprintf(err, errlen, "%s: %s is in the future", what, to);
		return -EINVAL;
	}
	if (scale && (int)*scale < 0)
		*scale = rpt_scale_for(f, t);
	if (rpt_period_init(p, f, t, scale ? *scale : rpt_scale_for(f, t), why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", what, why);
		return -EINVAL;
	}
	return 0;
}

/* The URL as the report may show it: user:password@ removed. */
static void public_url(const char *url, char *buf, size_t n)
{
	const char *host = strstr(url, "://"), *at, *slash;

	host = host ? host + 3 : url;
	at = strchr(host, '@');
	slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		snprintf(buf, n, "%.*s%s", (int)(host - url), url, at + 1);
	else
		snprintf(buf, n, "%s", url);
}

static int write_file(const char *path, const struct strbuf *sb, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(sb->buf, 1, sb->len, f) != sb->len || fclose(f)) {
		snprintf(err, errlen, "--output %s: %s", path, strerror(errno));
		return -errno ?: -EIO;
	}
	return 0;
}

static int run(struct report_args *a, struct rpt_report *r, char *err, size_t errlen)
{
	struct prom_client c = { 0 };
	struct rpt_table names = { 0 };
	struct strbuf html = STRBUF_INIT;
	char sel[1024], chromium[512], a_date[16], b_date[16];
	enum rpt_scale scale = (enum rpt_scale)-1;
	time_t now = time(NULL);
	int ret;

	ret = set_period(&r->cur, a->from, a->to, &scale, "the period", err, errlen);
	if (!ret && a->cmp_from) {
		r->has_cmp = true;
		ret = set_period(&r->cmp, a->cmp_from, a->cmp_to, &scale, "--compare", err, errlen);
	}
	ret = ret ?: rpt_sensor_selector(a->sensors, a->nr_sensors, sel, sizeof(sel), err, errlen);
	if (ret)
		return ret;
	r->scale = scale;
	memcpy(r->sensors, a->sensors, sizeof(r->sensors));
	r->nr_sensors = a->nr_sensors;
	public_url(a->prom.url, r->source, sizeof(r->source));
	strftime(r->generated, sizeof(r->generated), "%Y-%m-%d %H:%M UTC", gmtime(&now));

	ret = prom_open(&c, &a->prom, err, errlen);
	if (ret)
		return ret;
	/* Which metrics have samples is asked per period: a rule loaded in
	 * the middle of the comparison year must not look present in all of it. */
	ret = prom_metric_names(&c, (double)r->cur.from, (double)r->cur.to, &names, err, errlen);
	if (ret)
		goto out;
	rpt_fmt_date(r->cur.from, a_date, sizeof(a_date));
	rpt_fmt_date(r->cur.to - 86400, b_date, sizeof(b_date));
	ret = rpt_fetch_period(&c, sel, &names, &r->cur, err, errlen);
	if (!ret && !r->cur.has_data) {
		snprintf(err, errlen, "no darknet data from %s to %s%s%s: %s has no samples there "
			 "(are the sensors scraped and deploy/prometheus/rules/darknet-recording.yml "
			 "loaded?)", a_date, b_date, sel[0] ? " for " : "", sel,
			 rpt_metric_names[RPT_M_CLASS]);
		ret = -ENODATA;
	}
	if (!ret && r->has_cmp) {
		rpt_table_free(&names);
		ret = prom_metric_names(&c, (double)r->cmp.from, (double)r->cmp.to, &names,
					err, errlen);
		ret = ret ?: rpt_fetch_period(&c, sel, &names, &r->cmp, err, errlen);
	}
	if (ret)
		goto out;

	ret = rpt_render_html(r, &html);
	if (ret) {
		snprintf(err, errlen, "rendering the page: out of memory");
		goto out;
	}
	ret = write_file(a->output, &html, err, errlen);
	if (!ret && a->json)
		ret = rpt_write_json(r, a->json, err, errlen);
	if (ret)
		goto out;
	printf("darknet-counter report: wrote %s%s%s (%u queries)\n", a->output,
	       a->json ? " and " : "", a->json ? a->json : "", c.queries);
	if (a->pdf) {
		if (rpt_find_chromium(chromium, sizeof(chromium))) {
			snprintf(err, errlen, "no PDF: Chromium is not installed (Debian package "
				 "chromium, or set CHROMIUM); the HTML is in %s", a->output);
			ret = -ENOENT;
			goto out;
		}
		ret = rpt_print_pdf(chromium, a->output, a->pdf, err, errlen);
		if (!ret)
			printf("darknet-counter report: wrote %s\n", a->pdf);
	}
out:
	strbuf_free(&html);
	rpt_table_free(&names);
	prom_close(&c);
	return ret;
}

int report_main(int argc, char **argv)
{
	static struct rpt_report r;
	struct report_args a = { 0 };
	char err[768] = "";
	int ret = parse_args(&a, argc, argv);

	if (ret)
		return ret > 0 ? 0 : 2;
	ret = run(&a, &r, err, sizeof(err));
	if (ret)
		fprintf(stderr, "darknet-counter report: %s\n", err[0] ? err : strerror(-ret));
	rpt_report_free(&r);
	return ret ? 1 : 0;
}
