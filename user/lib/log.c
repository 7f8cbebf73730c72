/* log.c: leveled logging to stderr; libbpf's and libxdp's output goes through it. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "log.h"

static int log_verbose;

void log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "error: ",
		[LOG_WARN] = "warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};

	if (level == LOG_DEBUG && !log_verbose)
		return;
	fprintf(stderr, "darknet-counter: %s", prefix[level]);
	vfprintf(stderr, fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* Library messages arrive with their own trailing newline. Everything but
 * warnings is debug detail: an operator sees our own one-line errors. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBBPF_WARN && log_verbose ? LOG_WARN : LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	log_vmsg(level == LIBXDP_WARN && log_verbose ? LOG_WARN : LOG_DEBUG, fmt, ap);
	return 0;
}

void log_route_libraries(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
