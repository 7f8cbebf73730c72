/* pathname.h: interface and network namespace names that become path components, checked. */
#ifndef DN_PATHNAME_H
#define DN_PATHNAME_H

#include <stddef.h>

/* The kernel's rules for a network device name (dev_valid_name() in
 * net/core/dev.c): 1 to IFNAMSIZ-1 bytes, not "." or "..", no '/', ':' or
 * white space. Such a name is one safe path component (pin directories
 * are named after it). 0, or -EINVAL with the reason naming it in err. */
int pathname_check_ifname(const char *name, char *err, size_t errlen);

/* iproute2's rules for a named network namespace (/var/run/netns/NAME):
 * not empty, not "." or "..", no '/', shorter than NAME_MAX. 0, or -EINVAL
 * with the reason naming it in err. */
int pathname_check_netns(const char *name, char *err, size_t errlen);

#endif
