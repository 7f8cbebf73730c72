/* auth.c: HTTP basic authentication against bcrypt hashes (exporter-toolkit's basic_auth_users). */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <gnutls/crypto.h>
#include "auth.h"
#include "log.h"

#define AUTH_DIGEST_LEN 32   /* HMAC-SHA256 */
#define AUTH_DEFAULT_COST 10 /* htpasswd -B and exporter-toolkit's default */

struct auth_user {
	char *name;
	char hash[AUTH_BCRYPT_LEN + 1];
};

struct auth_cache_entry {
	bool used;
	uint8_t digest[AUTH_DIGEST_LEN];
};

/* Failures of one client network (IPv4 address, IPv6 /64: one host gets a
 * whole /64) within the current window. */
struct auth_peer {
	uint8_t net[8];
	uint8_t len;            /* 0: unused */
	unsigned int failures;
	long long window_start; /* ms, monotonic */
};

struct auth_db {
	struct auth_user *users;
	size_t nr_users, cap_users;
	/* Names to user index + 1 (0: free), open addressing, at most half
	 * full: adding n users is O(n), not O(n^2) (docs/hardening.md). */
	size_t *slots;
	size_t nr_slots;
	size_t nr_cost[32];     /* users per bcrypt cost */
	/* A bcrypt setting ("$2b$CC$" + salt) of the cost most users have:
	 * an unknown user pays the same bcrypt as a known one, so response
	 * times do not tell which user names exist. */
	char dummy[CRYPT_GENSALT_OUTPUT_SIZE];
	int dummy_cost;
	/* The cache holds HMAC(key, user NUL password), never the password:
	 * a memory dump does not reveal credentials. */
	uint8_t key[32];
	pthread_mutex_t lock;   /* cache, next and stats; users are read-only */
	struct auth_cache_entry cache[AUTH_CACHE_SIZE];
	unsigned int next;      /* round-robin replacement */
	/* Recent failed pairs: a client repeating one wrong password gets
	 * its 401 without a bcrypt (the users never change at run time). */
	struct auth_cache_entry failed[AUTH_CACHE_SIZE];
	unsigned int next_failed;
	struct auth_peer peers[AUTH_PEERS];
	unsigned int bcrypt_busy;   /* bcrypt runs now, at most AUTH_BCRYPT_SLOTS */
	struct auth_stats stats;
};

bool auth_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	/* no early exit: the time does not say where the first difference is */
	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

static bool is_bcrypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '/';
}

bool auth_is_bcrypt(const char *h)
{
	int cost;

	if (strlen(h) != AUTH_BCRYPT_LEN || h[0] != '$' || h[1] != '2' ||
	    !strchr("aby", h[2]) || h[3] != '$' || h[6] != '$')
		return false;
	if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	for (int i = 7; i < AUTH_BCRYPT_LEN; i++)
		if (!is_bcrypt_char(h[i]))
			return false;
	return true;
}

static int hash_cost(const char *hash)
{
	return (hash[4] - '0') * 10 + (hash[5] - '0');
}

static int make_dummy(struct auth_db *db, int cost)
{
	/* NULL random bytes: libxcrypt takes them from the kernel */
	if (!crypt_gensalt_rn("$2b$", cost, NULL, 0, db->dummy, sizeof(db->dummy)))
		return -errno ?: -EINVAL;
	db->dummy_cost = cost;
	return 0;
}

int auth_create(struct auth_db **out)
{
	struct auth_db *db = calloc(1, sizeof(*db));
	int ret;

	if (!db)
		return -ENOMEM;
	if (getrandom(db->key, sizeof(db->key), 0) != sizeof(db->key)) {
		free(db);
		return -EIO;
	}
	ret = make_dummy(db, AUTH_DEFAULT_COST);
	if (ret) {
		free(db);
		return ret;
	}
	pthread_mutex_init(&db->lock, NULL);
	*out = db;
	return 0;
}

/* The cost most users share (ties: the higher). */
static int common_cost(const struct auth_db *db)
{
	int best = AUTH_DEFAULT_COST;
	size_t best_n = 0;

	for (int c = 0; c < 32; c++)
		if (db->nr_cost[c] && db->nr_cost[c] >= best_n) {
			best = c;
			best_n = db->nr_cost[c];
		}
	return best;
}

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The slot of name, or the free slot where it would go. */
static size_t *name_slot(const struct auth_db *db, const char *name)
{
	size_t mask = db->nr_slots - 1, i = name_hash(name) & mask;

	while (db->slots[i] && strcmp(db->users[db->slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return &db->slots[i];
}

/* Room for one more user in the table and the index. */
static int grow(struct auth_db *db)
{
	size_t *slots, nr;

	if (db->nr_users == db->cap_users) {
		size_t cap = db->cap_users ? 2 * db->cap_users : 16;
		struct auth_user *users = realloc(db->users, cap * sizeof(*users));

		if (!users)
			return -ENOMEM;
		db->users = users;
		db->cap_users = cap;
	}
	if (2 * (db->nr_users + 1) <= db->nr_slots)
		return 0;
	nr = db->nr_slots ? 2 * db->nr_slots : 32;
	slots = calloc(nr, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(db->slots);
	db->slots = slots;
	db->nr_slots = nr;
	for (size_t i = 0; i < db->nr_users; i++)
		*name_slot(db, db->users[i].name) = i + 1;
	return 0;
}

int auth_add_user(struct auth_db *db, const char *name, const char *hash)
{
	size_t *slot;
	int ret, cost;

	/* RFC 7617: a user-id with ':' cannot be sent in basic auth */
	if (!name[0] || strchr(name, ':') || !auth_is_bcrypt(hash))
		return -EINVAL;
	ret = grow(db);
	if (ret)
		return ret;
	slot = name_slot(db, name);
	if (*slot)
		return -EEXIST;
	db->users[db->nr_users].name = strdup(name);
	if (!db->users[db->nr_users].name)
		return -ENOMEM;
	memcpy(db->users[db->nr_users].hash, hash, AUTH_BCRYPT_LEN + 1);
	*slot = ++db->nr_users;
	db->nr_cost[hash_cost(hash)]++;
	cost = common_cost(db);
	return cost == db->dummy_cost ? 0 : make_dummy(db, cost);
}

size_t auth_nr_users(const struct auth_db *db)
{
	return db->nr_users;
}

/* Every user name is compared, so the time does not depend on which one
 * (if any) matches. */
static const struct auth_user *find_user(const struct auth_db *db, const char *name)
{
	const struct auth_user *found = NULL;
	size_t len = strlen(name);

	for (size_t i = 0; i < db->nr_users; i++) {
		const struct auth_user *u = &db->users[i];
		bool same = strlen(u->name) == len && auth_ct_equal(u->name, name, len);

		if (same)
			found = u;
	}
	return found;
}

static int cache_digest(const struct auth_db *db, const char *user, const char *pass,
			uint8_t digest[AUTH_DIGEST_LEN])
{
	gnutls_hmac_hd_t h;

	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, db->key, sizeof(db->key)) < 0)
		return -EIO;
	/* the NUL keeps ("ab", "c") and ("a", "bc") apart */
	gnutls_hmac(h, user, strlen(user) + 1);
	gnutls_hmac(h, pass, strlen(pass));
	gnutls_hmac_deinit(h, digest);
	return 0;
}

/* Call with db->lock held. Scans every entry whatever matches. */
static bool cache_lookup(const struct auth_cache_entry *cache, const uint8_t *digest)
{
	bool hit = false;

	for (int i = 0; i < AUTH_CACHE_SIZE; i++)
		hit |= cache[i].used & auth_ct_equal(cache[i].digest, digest, AUTH_DIGEST_LEN);
	return hit;
}

static void cache_insert(struct auth_cache_entry *cache, unsigned int *next,
			 const uint8_t *digest)
{
	struct auth_cache_entry *e = &cache[*next];

	e->used = true;
	memcpy(e->digest, digest, AUTH_DIGEST_LEN);
	*next = (*next + 1) % AUTH_CACHE_SIZE;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* The budget entry of peer's network (reset when its window is over), or
 * NULL when there is no peer. Call with db->lock held. Direct-mapped: a
 * collision takes the slot over, which can only give a client a fresh
 * budget; the bcrypt slots still bound the cost. */
static struct auth_peer *peer_entry(struct auth_db *db, const struct sockaddr *peer,
				    long long now)
{
	uint8_t net[8] = {0}, len;
	struct auth_peer *p;
	uint32_t h = 2166136261u;   /* FNV-1a over the network */

	if (!peer)
		return NULL;
	if (peer->sa_family == AF_INET) {
		memcpy(net, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		len = 4;
	} else if (peer->sa_family == AF_INET6) {
		memcpy(net, &((const struct sockaddr_in6 *)peer)->sin6_addr, 8);
		len = 8;
	} else {
		return NULL;
	}
	for (int i = 0; i < len; i++)
		h = (h ^ net[i]) * 16777619u;
	p = &db->peers[h % AUTH_PEERS];
	if (p->len != len || memcmp(p->net, net, len) ||
	    now - p->window_start >= AUTH_FAIL_WINDOW_MS) {
		memset(p, 0, sizeof(*p));
		memcpy(p->net, net, len);
		p->len = len;
		p->window_start = now;
	}
	return p;
}

/* bcrypt pass with the salt and cost of hash and compare the whole result
 * with hash in constant time. crypt_rn keeps its state in data: thread-safe. */
static bool bcrypt_matches(const char *pass, const char *hash)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *out;
	bool ok = false;

	if (!data)
		return false;
	out = crypt_rn(pass, hash, data, sizeof(*data));
	if (out && strlen(out) == strlen(hash))
		ok = auth_ct_equal(out, hash, strlen(hash));
	explicit_bzero(data, sizeof(*data));   /* it held the password */
	free(data);
	return ok;
}

/* Call with db->lock held: 0 to run a bcrypt (a slot taken), or the status
 * that answers without one. */
static int before_bcrypt(struct auth_db *db, const uint8_t *digest,
			 const struct sockaddr *peer)
{
	struct auth_peer *p;

	if (cache_lookup(db->cache, digest)) {
		db->stats.cache_hits++;
		return -1;
	}
	if (cache_lookup(db->failed, digest)) {
		db->stats.failed_hits++;
		return 401;
	}
	p = peer_entry(db, peer, now_ms());
	if (p && p->failures >= AUTH_FAIL_BUDGET) {
		db->stats.refused_budget++;
		return 429;
	}
	/* Never wait for a slot: a waiting worker thread would hold up the
	 * cached scrapes on its other connections. */
	if (db->bcrypt_busy >= AUTH_BCRYPT_SLOTS) {
		db->stats.refused_busy++;
		return 429;
	}
	db->bcrypt_busy++;
	db->stats.bcrypt_runs++;
	return 0;
}

int auth_check_peer(void *ctx, const char *user, const char *pass,
		    const struct sockaddr *peer)
{
	struct auth_db *db = ctx;
	uint8_t digest[AUTH_DIGEST_LEN];
	const struct auth_user *u;
	struct auth_peer *p;
	int status;
	bool ok;

	if (!user || !pass || strlen(pass) > AUTH_MAX_PASSWORD ||
	    cache_digest(db, user, pass, digest))
		return 401;
	pthread_mutex_lock(&db->lock);
	status = before_bcrypt(db, digest, peer);
	pthread_mutex_unlock(&db->lock);
	if (status)
		return status < 0 ? 0 : status;
	/* bcrypt outside the lock: concurrent checks do not queue behind it */
	u = find_user(db, user);
	ok = bcrypt_matches(pass, u ? u->hash : db->dummy) && u;
	pthread_mutex_lock(&db->lock);
	db->bcrypt_busy--;
	if (ok) {
		cache_insert(db->cache, &db->next, digest);
	} else {
		cache_insert(db->failed, &db->next_failed, digest);
		p = peer_entry(db, peer, now_ms());
		if (p)
			p->failures++;
	}
	pthread_mutex_unlock(&db->lock);
	explicit_bzero(digest, sizeof(digest));
	if (!ok) {
		/* the user name is the client's bytes: kept out of the log */
		pr_debug("http: basic auth failed\n");
		return 401;
	}
	return 0;
}

int auth_check(void *db, const char *user, const char *pass)
{
	return auth_check_peer(db, user, pass, NULL);
}

void auth_get_stats(struct auth_db *db, struct auth_stats *st)
{
	pthread_mutex_lock(&db->lock);
	*st = db->stats;
	st->dummy_cost = db->dummy_cost;
	pthread_mutex_unlock(&db->lock);
}

void auth_free(struct auth_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nr_users; i++)
		free(db->users[i].name);
	free(db->users);
	free(db->slots);
	pthread_mutex_destroy(&db->lock);
	explicit_bzero(db, sizeof(*db));   /* cache key and digests */
	free(db);
}
