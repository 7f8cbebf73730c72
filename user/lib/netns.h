/* netns.h: entering a named network namespace and coming back. */
#ifndef DN_NETNS_H
#define DN_NETNS_H

/* Switch the calling thread to /var/run/netns/NAME (as `ip netns` names it).
 * *saved receives an fd of the namespace left, for netns_restore(). Returns
 * 0 or -errno. Unlike `ip netns exec`, no mount namespace is created, so
 * /sys/fs/bpf stays visible. */
int netns_enter(const char *name, int *saved);
int netns_restore(int saved);

#endif
