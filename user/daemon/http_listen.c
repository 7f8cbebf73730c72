/* http_listen.c: binding the metrics listening socket, apart from starting the server. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "http.h"

static int split_address(const char *address, char *host, size_t hostlen,
			 const char **port)
{
	const char *colon = strrchr(address, ':');
	size_t n;

	if (!colon || !colon[1])
		return -EINVAL;
	*port = colon + 1;
	n = colon - address;
	if (n >= 2 && address[0] == '[' && address[n - 1] == ']') {
		address++;
		n -= 2;
	}
	if (n >= hostlen)
		return -EINVAL;
	memcpy(host, address, n);
	host[n] = '\0';
	return 0;
}

static int bind_first(struct addrinfo *res, int *fd)
{
	int err = -EADDRNOTAVAIL, one = 1, zero = 0;

	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);

		if (s < 0) {
			err = -errno;
			continue;
		}
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* ":PORT" binds "::" and must take IPv4 too */
		if (ai->ai_family == AF_INET6)
			setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (!bind(s, ai->ai_addr, ai->ai_addrlen) && !listen(s, 128)) {
			*fd = s;
			return 0;
		}
		err = -errno;
		close(s);
	}
	return err;
}

int http_listen(const char *address, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res;
	char host[256];
	const char *port;
	int ret;

	if (split_address(address, host, sizeof(host), &port)) {
		snprintf(err, errlen, "--web.listen-address %s: expected HOST:PORT", address);
		return -EINVAL;
	}
	/* getaddrinfo takes "70000" and keeps its low 16 bits */
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    atoi(port) > 65535) {
		snprintf(err, errlen, "--web.listen-address %s: port %s is not a number in "
			 "0..65535", address, port);
		return -EINVAL;
	}
	if (!host[0])
		hints.ai_family = AF_INET6;
	ret = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (ret) {
		snprintf(err, errlen, "--web.listen-address %s: %s", address, gai_strerror(ret));
		return -EINVAL;
	}
	ret = bind_first(res, fd);
	freeaddrinfo(res);
	if (ret)
		snprintf(err, errlen, "cannot listen on %s: %s", address, strerror(-ret));
	return ret;
}
