/* auth.h: HTTP basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users). */
#ifndef DN_AUTH_H
#define DN_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

/* Successful (user, password) checks remembered so that a scrape every 15 s
 * does not pay a bcrypt each time; only a keyed digest is stored. */
#define AUTH_CACHE_SIZE 64
/* bcrypt reads at most 72 bytes of a password; longer ones are refused
 * rather than silently truncated (as Go's bcrypt does). */
#define AUTH_MAX_PASSWORD 72
#define AUTH_BCRYPT_LEN 60
/* Limits on what wrong passwords cost (docs/hardening.md): bcrypt runs at
 * once (of the HTTP server's 4 threads), and failures a client network may
 * have in a window before it is refused without a bcrypt. */
#define AUTH_BCRYPT_SLOTS 2
#define AUTH_FAIL_BUDGET 10
#define AUTH_FAIL_WINDOW_MS 60000
#define AUTH_PEERS 1024

struct auth_db;

/* An empty user table with a fresh random cache key. 0 or -errno. */
int auth_create(struct auth_db **db);
/* Add a user. 0, -EINVAL (hash is not bcrypt, or name is empty or has a
 * ':' and could never log in), -EEXIST or -ENOMEM. Not thread-safe: add all
 * users before the HTTP server starts. */
int auth_add_user(struct auth_db *db, const char *name, const char *hash);
size_t auth_nr_users(const struct auth_db *db);

struct auth_stats {
	unsigned long bcrypt_runs;   /* checks that paid a bcrypt */
	unsigned long cache_hits;    /* checks answered from the cache */
	unsigned long failed_hits;   /* 401 from the cache of failed pairs */
	unsigned long refused_budget; /* 429: the client's failure budget is spent */
	unsigned long refused_busy;  /* 429: every bcrypt slot was taken */
	int dummy_cost;              /* bcrypt cost paid for unknown users */
};
void auth_get_stats(struct auth_db *db, struct auth_stats *st);
/* An http_auth_fn: 0 when user/pass match a configured user (a cached
 * success never waits for a bcrypt); 401 when they do not; 429 when
 * checking would need a bcrypt and peer's network (may be NULL) has spent
 * its failure budget or every bcrypt slot is busy. Unknown users cost one
 * bcrypt of the usual cost, like known ones. Thread-safe. */
int auth_check_peer(void *db, const char *user, const char *pass,
		    const struct sockaddr *peer);
/* auth_check_peer() without a peer. */
int auth_check(void *db, const char *user, const char *pass);
void auth_free(struct auth_db *db);

/* "$2a$", "$2b$" or "$2y$", cost 04..31, 53 characters of salt and hash. */
bool auth_is_bcrypt(const char *hash);
/* Compare len bytes in time that depends on len only. */
bool auth_ct_equal(const void *a, const void *b, size_t len);

#endif
