/* privs.h: checking the capabilities the daemon needs, and dropping the rest. */
#ifndef DN_PRIVS_H
#define DN_PRIVS_H

#include <stddef.h>

/* 0 if the effective set has CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN;
 * -EPERM with the missing ones named in err. */
int privs_check(char *err, size_t errlen);
/* After attaching and binding, before any thread starts (capabilities and
 * no_new_privs are per thread; new threads inherit the caller's): switch
 * to user (if not NULL) and keep only the capabilities later work needs.
 * 0 or -errno with the reason in err. */
int privs_drop(const char *user, char *err, size_t errlen);

#endif
