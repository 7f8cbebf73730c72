/* failmap.c: an LD_PRELOAD library that makes one BPF map creation fail, to test what a failed install leaves. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

/*
 * Once the file DN_FAILMAP_ARM exists, the creations of BPF maps named
 * DN_FAILMAP_NAME (the inner maps libbpf creates through syscall(2)) are
 * counted, and the one after DN_FAILMAP_SKIP of them fails with ENOSPC,
 * once. A test arms it before a reload to make the install fail on the
 * second interface, the first having built its maps.
 */
typedef long (*syscall_fn)(long, ...);

static int should_fail(const union bpf_attr *attr)
{
	static int seen, done;
	const char *name = getenv("DN_FAILMAP_NAME"), *arm = getenv("DN_FAILMAP_ARM");
	const char *skip = getenv("DN_FAILMAP_SKIP");

	if (done || !name || !arm || access(arm, F_OK) ||
	    strncmp(attr->map_name, name, sizeof(attr->map_name)))
		return 0;
	if (seen++ < (skip ? atoi(skip) : 0))
		return 0;
	done = 1;
	return 1;
}

/* Six arguments are passed on, as glibc's syscall() does whatever the
 * call takes: the sixth comes from the caller's stack, which ASan would
 * report for a call with fewer (not instrumented, like glibc's). */
__attribute__((no_sanitize_address))
long syscall(long nr, ...)
{
	static syscall_fn real;
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	if (nr == __NR_bpf && a[0] == BPF_MAP_CREATE && should_fail((union bpf_attr *)a[1])) {
		errno = ENOSPC;
		return -1;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
