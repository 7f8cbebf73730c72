/* pktgen_err.c: the generator library's one way to say why a call failed. */
#include <stdarg.h>
#include <stdio.h>
#include "pktgen_err.h"

void pktgen_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
