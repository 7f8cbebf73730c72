/* netns.h: entering a named network namespace and coming back. */
#ifndef DN_NETNS_H
#define DN_NETNS_H

#include <stddef.h>

/* Switch the calling thread to /var/run/netns/NAME (as `ip netns` names it).
 * *saved receives an fd of the namespace left, for netns_restore(). Returns
 * 0 or -errno. Unlike `ip netns exec`, no mount namespace is created, so
 * /sys/fs/bpf stays visible. */
int netns_enter(const char *name, int *saved);
/* The same, with a one-line reason naming the namespace in err. */
int netns_enter_err(const char *name, int *saved, char *err, size_t errlen);
int netns_restore(int saved);

#endif
