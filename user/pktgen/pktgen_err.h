/* pktgen_err.h: the generator library's one way to say why a call failed. */
#ifndef DN_PKTGEN_ERR_H
#define DN_PKTGEN_ERR_H

#include <stddef.h>

/* printf into err (errlen bytes) when the caller gave room for a reason. */
__attribute__((format(printf, 3, 4)))
void pktgen_err(char *err, size_t errlen, const char *fmt, ...);

#endif
