/* test_auth.c: basic-auth checks against bcrypt hashes: answers, cache, unknown users, threads. */
#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "auth.h"
#include "array_size.h"

/* A bcrypt hash of pass made here, so no fixture can drift from libxcrypt.
 * Cost 4 (the minimum) keeps the suite fast; the code path is the same. */
static void bcrypt_hash(const char *prefix, int cost, const char *pass, char *out)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data = {0};
	const char *h;

	cr_assert_not_null(crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt)),
			   "crypt_gensalt_rn(%s, %d)", prefix, cost);
	h = crypt_rn(pass, salt, &data, sizeof(data));
	cr_assert_not_null(h, "crypt_rn");
	cr_assert_eq(strlen(h), AUTH_BCRYPT_LEN, "bcrypt hash length of %s", h);
	strcpy(out, h);
}

static struct auth_db *db_with(const char *user, const char *pass, int cost)
{
	struct auth_db *db;
	char hash[AUTH_BCRYPT_LEN + 1];

	cr_assert_eq(auth_create(&db), 0, "auth_create");
	bcrypt_hash("$2b$", cost, pass, hash);
	cr_assert_eq(auth_add_user(db, user, hash), 0, "add %s", user);
	return db;
}

static struct auth_stats stats(struct auth_db *db)
{
	struct auth_stats st;

	auth_get_stats(db, &st);
	return st;
}

Test(auth, ct_equal_compares_every_byte)
{
	cr_assert(auth_ct_equal("abcdef", "abcdef", 6), "equal strings");
	cr_assert_not(auth_ct_equal("xbcdef", "abcdef", 6), "first byte differs");
	cr_assert_not(auth_ct_equal("abcdex", "abcdef", 6), "last byte differs");
	cr_assert_not(auth_ct_equal("\x80", "\x00", 1), "high bit differs");
	cr_assert(auth_ct_equal("a", "b", 0), "zero length is equal");
}

Test(auth, bcrypt_format)
{
	static const struct { const char *hash; bool ok; } cases[] = {
		{ "$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", true },
		{ "$2b$10$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", true },
		{ "$2a$31$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", true },
		{ "$2x$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", false },
		{ "$2y$03$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", false },
		{ "$2y$32$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", false },
		{ "$2y$5a$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG", false },
		{ "$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnES", false },
		{ "$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESGx", false },
		{ "$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnES!", false },
		{ "$apr1$Ke2sm7zF$7FCh6k9kbyDbmSStFY1Pd0", false },
		{ "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", false },
		{ "secret", false },
		{ "", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		cr_expect_eq(auth_is_bcrypt(cases[i].hash), cases[i].ok, "auth_is_bcrypt(\"%s\")",
			     cases[i].hash);
}

Test(auth, add_user_refuses_bad_entries)
{
	struct auth_db *db = db_with("alice", "pw", 4);
	char hash[AUTH_BCRYPT_LEN + 1];

	bcrypt_hash("$2y$", 4, "pw", hash);
	cr_expect_eq(auth_add_user(db, "", hash), -EINVAL, "empty name");
	cr_expect_eq(auth_add_user(db, "a:b", hash), -EINVAL, "name with ':'");
	cr_expect_eq(auth_add_user(db, "bob", "plaintext"), -EINVAL, "hash not bcrypt");
	cr_expect_eq(auth_add_user(db, "alice", hash), -EEXIST, "duplicate user");
	cr_expect_eq(auth_add_user(db, "bob", hash), 0, "a $2y$ hash is fine");
	cr_expect_eq(auth_nr_users(db), 2, "alice and bob");
	auth_free(db);
}

Test(auth, right_and_wrong_passwords)
{
	struct auth_db *db = db_with("alice", "correct horse", 4);

	cr_expect_eq(auth_check(db, "alice", "correct horse"), 0, "right password");
	cr_expect_eq(auth_check(db, "alice", "correct hors"), 401, "prefix of the password");
	cr_expect_eq(auth_check(db, "alice", "correct horsE"), 401, "last byte differs");
	cr_expect_eq(auth_check(db, "alice", ""), 401, "empty password");
	cr_expect_eq(auth_check(db, "Alice", "correct horse"), 401, "user names are case-sensitive");
	cr_expect_eq(auth_check(db, "alice", NULL), 401, "no password");
	cr_expect_eq(auth_check(db, NULL, NULL), 401, "no credentials");
	auth_free(db);
}

Test(auth, htpasswd_y_hash_verifies)
{
	/* htpasswd -nbB alice pw (Apache writes $2y$, as the Prometheus docs show) */
	struct auth_db *db;

	cr_assert_eq(auth_create(&db), 0);
	cr_assert_eq(auth_add_user(db, "alice",
		"$2y$05$1b.IOVHb.VQXDjXV9Yi08uyONl36s.h7sYQ1RHknSW7HF0CRvnESG"), 0);
	cr_expect_eq(auth_check(db, "alice", "pw"), 0, "htpasswd's hash of pw");
	cr_expect_eq(auth_check(db, "alice", "pW"), 401, "wrong case");
	auth_free(db);
}

Test(auth, unknown_user_pays_a_bcrypt_of_the_same_cost)
{
	struct auth_db *db = db_with("alice", "pw", 5);
	struct auth_stats before = stats(db), after;

	cr_expect_eq(before.dummy_cost, 5, "dummy cost follows the users' cost");
	cr_expect_eq(auth_check(db, "mallory", "pw"), 401, "unknown user");
	after = stats(db);
	cr_expect_eq(after.bcrypt_runs, before.bcrypt_runs + 1,
		     "an unknown user costs one bcrypt, like a known one");
	cr_expect_eq(after.cache_hits, 0, "no cache hit for an unknown user");
	auth_free(db);
}

Test(auth, dummy_cost_is_the_most_common_cost)
{
	struct auth_db *db = db_with("a", "pw", 6);
	char h4[AUTH_BCRYPT_LEN + 1];

	bcrypt_hash("$2b$", 4, "pw", h4);
	cr_assert_eq(auth_add_user(db, "b", h4), 0);
	cr_expect_eq(stats(db).dummy_cost, 6, "tie between 6 and 4: the higher");
	cr_assert_eq(auth_add_user(db, "c", h4), 0);
	cr_expect_eq(stats(db).dummy_cost, 4, "two users at cost 4, one at 6");
	auth_free(db);
}

Test(auth, cache_hit_skips_bcrypt_but_not_a_wrong_password)
{
	struct auth_db *db = db_with("alice", "pw", 4);
	struct auth_stats st;

	cr_assert_eq(auth_check(db, "alice", "pw"), 0, "first check");
	cr_assert_eq(auth_check(db, "alice", "pw"), 0, "second check");
	st = stats(db);
	cr_expect_eq(st.bcrypt_runs, 1, "only the first check ran bcrypt");
	cr_expect_eq(st.cache_hits, 1, "the second came from the cache");
	cr_expect_eq(auth_check(db, "alice", "pw2"), 401, "wrong password after a cached success");
	cr_expect_eq(auth_check(db, "alice", "p"), 401, "prefix after a cached success");
	cr_expect_eq(auth_check(db, "alicepw", ""), 401, "user/password boundary moved");
	st = stats(db);
	cr_expect_eq(st.cache_hits, 1, "wrong passwords never hit the cache");
	cr_expect_eq(st.bcrypt_runs, 4, "each wrong password paid its bcrypt");
	auth_free(db);
}

Test(auth, cache_is_bounded)
{
	struct auth_db *db;
	char hash[AUTH_BCRYPT_LEN + 1], name[16];
	unsigned long runs;

	cr_assert_eq(auth_create(&db), 0);
	bcrypt_hash("$2b$", 4, "pw", hash);
	for (int i = 0; i <= AUTH_CACHE_SIZE; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		cr_assert_eq(auth_add_user(db, name, hash), 0, "add %s", name);
		cr_assert_eq(auth_check(db, name, "pw"), 0, "login %s", name);
	}
	runs = stats(db).bcrypt_runs;
	cr_expect_eq(runs, AUTH_CACHE_SIZE + 1, "every first login paid a bcrypt");
	cr_expect_eq(auth_check(db, "u64", "pw"), 0, "newest login");
	cr_expect_eq(stats(db).bcrypt_runs, runs, "the newest entry is cached");
	cr_expect_eq(auth_check(db, "u0", "pw"), 0, "oldest login");
	cr_expect_eq(stats(db).bcrypt_runs, runs + 1, "the oldest entry was evicted");
	auth_free(db);
}

Test(auth, long_passwords_are_not_truncated)
{
	char pw72[AUTH_MAX_PASSWORD + 1], pw73[AUTH_MAX_PASSWORD + 2];
	struct auth_db *db;

	memset(pw72, 'a', AUTH_MAX_PASSWORD);
	pw72[AUTH_MAX_PASSWORD] = '\0';
	snprintf(pw73, sizeof(pw73), "%sb", pw72);
	db = db_with("alice", pw72, 4);
	cr_expect_eq(auth_check(db, "alice", pw72), 0, "72 bytes: bcrypt's whole input");
	/* bcrypt would ignore the 73rd byte and say yes */
	cr_expect_eq(auth_check(db, "alice", pw73), 401, "73 bytes are refused");
	auth_free(db);
}

struct worker {
	struct auth_db *db;
	int right, wrong;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 50; i++) {
		w->right += auth_check(w->db, "alice", "pw") == 0;
		w->wrong += auth_check(w->db, "alice", i % 2 ? "px" : "pw!") == 401;
	}
	return NULL;
}

Test(auth, concurrent_checks)
{
	struct auth_db *db = db_with("alice", "pw", 4);
	struct worker w[8];
	pthread_t t[8];

	/* Warm both caches: a check that needs a bcrypt while every bcrypt
	 * slot is taken gets 429 (see bcrypt_slots_never_make_a_check_wait). */
	cr_assert_eq(auth_check(db, "alice", "pw"), 0, "warm-up");
	cr_assert_eq(auth_check(db, "alice", "px"), 401, "warm-up px");
	cr_assert_eq(auth_check(db, "alice", "pw!"), 401, "warm-up pw!");
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ .db = db };
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(w[i].right, 50, "thread %d: right password accepted", i);
		cr_expect_eq(w[i].wrong, 50, "thread %d: wrong password refused", i);
	}
	cr_expect_eq(stats(db).bcrypt_runs + stats(db).cache_hits + stats(db).failed_hits, 803,
		     "every check counted");
	cr_expect_eq(stats(db).bcrypt_runs, 3, "only the warm-up paid a bcrypt");
	auth_free(db);
}

/* One wrong password repeated costs one bcrypt, not one per try. */
Test(auth, repeated_wrong_password_is_answered_from_the_failed_cache)
{
	struct auth_db *db = db_with("alice", "pw", 4);

	for (int i = 0; i < 5; i++)
		cr_expect_eq(auth_check(db, "alice", "guess"), 401, "try %d", i);
	cr_expect_eq(stats(db).bcrypt_runs, 1, "one bcrypt for five tries");
	cr_expect_eq(stats(db).failed_hits, 4, "four from the failed cache");
	cr_expect_eq(auth_check(db, "alice", "pw"), 0, "the right password still works");
	auth_free(db);
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
		v4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
		v6->sin6_family = AF_INET6;
	else
		cr_assert_fail("bad test address %s", text);
	return ss;
}

/* A client network that spent its budget of failures gets 429 without a
 * bcrypt; other clients and cached logins are not affected. */
Test(auth, failure_budget_per_client_network)
{
	struct auth_db *db = db_with("alice", "pw", 4);
	struct sockaddr_storage a = addr("198.51.100.7"), b = addr("198.51.100.8");
	struct sockaddr_storage v6a = addr("2001:db8:1:2::1"), v6b = addr("2001:db8:1:2::99");
	char pw[32];
	unsigned long runs;

	cr_assert_eq(auth_check_peer(db, "alice", "pw", (struct sockaddr *)&a), 0, "login");
	for (int i = 0; i < AUTH_FAIL_BUDGET; i++) {
		snprintf(pw, sizeof(pw), "guess%d", i);
		cr_expect_eq(auth_check_peer(db, "alice", pw, (struct sockaddr *)&a), 401,
			     "failure %d within the budget", i);
	}
	runs = stats(db).bcrypt_runs;
	cr_expect_eq(auth_check_peer(db, "alice", "another", (struct sockaddr *)&a), 429,
		     "over the budget: 429");
	cr_expect_eq(auth_check_peer(db, "mallory", "x", (struct sockaddr *)&a), 429,
		     "over the budget, unknown user: 429");
	cr_expect_eq(stats(db).bcrypt_runs, runs, "no bcrypt over the budget");
	cr_expect_eq(stats(db).refused_budget, 2, "two refused for the budget");
	cr_expect_eq(auth_check_peer(db, "alice", "pw", (struct sockaddr *)&a), 0,
		     "a cached login from the same address still works");
	cr_expect_eq(auth_check_peer(db, "alice", "another", (struct sockaddr *)&b), 401,
		     "another address has its own budget");

	/* IPv6: the budget is per /64 */
	for (int i = 0; i < AUTH_FAIL_BUDGET; i++) {
		snprintf(pw, sizeof(pw), "v6guess%d", i);
		auth_check_peer(db, "alice", pw, (struct sockaddr *)&v6a);
	}
	cr_expect_eq(auth_check_peer(db, "alice", "v6 more", (struct sockaddr *)&v6b), 429,
		     "another host of the same /64 shares the budget");
	auth_free(db);
}

struct slow {
	struct auth_db *db;
	int status;
};

static void *slow_check(void *arg)
{
	struct slow *s = arg;

	s->status = auth_check(s->db, "nobody", "wrong");   /* a dummy bcrypt */
	return NULL;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* With every bcrypt slot busy, a check that needs one is refused at once
 * (429) and a cached login answers at once: nothing waits behind bcrypt. */
Test(auth, bcrypt_slots_never_make_a_check_wait, .timeout = 60)
{
	struct auth_db *db;
	char hash[AUTH_BCRYPT_LEN + 1];
	struct slow s[AUTH_BCRYPT_SLOTS];
	pthread_t t[AUTH_BCRYPT_SLOTS];
	long long t0, ms;

	cr_assert_eq(auth_create(&db), 0);
	/* cost 14: each bcrypt takes about a second, the dummy too */
	bcrypt_hash("$2b$", 14, "pw", hash);
	cr_assert_eq(auth_add_user(db, "alice", hash), 0);
	cr_assert_eq(auth_check(db, "alice", "pw"), 0, "login, cached");
	for (int i = 0; i < AUTH_BCRYPT_SLOTS; i++) {
		s[i] = (struct slow){ .db = db };
		cr_assert_eq(pthread_create(&t[i], NULL, slow_check, &s[i]), 0);
	}
	usleep(200 * 1000);
	t0 = ms_now();
	cr_expect_eq(auth_check(db, "alice", "not it"), 429, "slots busy: 429");
	cr_expect_eq(auth_check(db, "alice", "pw"), 0, "slots busy: cached login");
	ms = ms_now() - t0;
	cr_expect_lt(ms, 100, "slots busy: two checks took %lld ms", ms);
	for (int i = 0; i < AUTH_BCRYPT_SLOTS; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(s[i].status, 401, "slow check %d", i);
	}
	cr_expect_eq(stats(db).refused_busy, 1, "one refused while busy");
	cr_expect_eq(auth_check(db, "alice", "not it"), 401, "slots free again: 401");
	auth_free(db);
}
