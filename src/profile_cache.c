/*
 * The CMP Profile and RA Profile rows a worker resolved (profile.c), kept
 * for profile_cache seconds: an enrolment resolves its profile twice (ir,
 * certConf), each a join of five tables. A change made through the
 * management API of this cmpd (HTTP) bumps a generation that all workers
 * share (mapped before the first fork), so the next request on any worker
 * reads the row again; a change made by another host of a cluster, by
 * cmpctl (the API in a process of its own) or in SQL, applies within
 * profile_cache seconds, or at once after a reload
 * (SIGHUP starts new workers with empty caches). The encrypted columns
 * stay sealed here and are opened per request (CONVENTIONS 7).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmpd.h"

/* after cmpd.h: its enum prot_method has a PROT_NONE too */
#include <sys/mman.h>

#define PROFILE_CACHE_MAX	8	/* profiles per worker */

struct profile_cache_entry {
	enum route_kind kind;
	char	 name[CMPD_NAME_MAX + 1];
	unsigned long gen;		/* the generation read before the row */
	struct timespec loaded;
	struct profile *p;		/* as read, no secret opened */
	struct profile_sealed *sealed;
};

static atomic_ulong *cache_gen;		/* shared by the workers */
static int cache_ttl;			/* seconds; 0: no cache */
static struct profile_cache_entry cache[PROFILE_CACHE_MAX];
static size_t cache_next;

/* Before the first fork: the generation every worker sees. */
int
profile_cache_map(void)
{
	void *p;

	if (cache_gen != NULL)
		return 0;
	p = mmap(NULL, sizeof(*cache_gen), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	cache_gen = p;
	atomic_init(cache_gen, 1);
	return 0;
}

/* In a worker: off without the shared generation (nothing could tell it
 * that the API changed a profile). */
void
profile_cache_init(const struct conf *c)
{
	cache_ttl = cache_gen != NULL ? c->profile_cache : 0;
}

/* After a change through the management API, committed or not. */
void
profile_cache_changed(void)
{
	if (cache_gen != NULL)
		atomic_fetch_add(cache_gen, 1);
}

unsigned long
profile_cache_generation(void)
{
	return cache_gen != NULL ? atomic_load(cache_gen) : 0;
}

static void
profile_cache_drop(struct profile_cache_entry *e)
{
	if (e->p != NULL)
		profile_row_free(e->p);
	free(e->p);
	if (e->sealed != NULL)
		OPENSSL_clear_free(e->sealed, sizeof(*e->sealed));
	memset(e, 0, sizeof(*e));
}

/* The cached row of rt's profile into p, and *s pointed at its sealed
 * columns (the entry's own: valid until the next profile_cache_* call);
 * -1 if there is none (or it is too old, or the API changed something
 * since). */
int
profile_cache_get(const struct route *rt, struct profile *p,
    const struct profile_sealed **s)
{
	struct profile_cache_entry *e;
	size_t i;

	if (cache_ttl == 0)
		return -1;
	for (i = 0; i < PROFILE_CACHE_MAX; i++) {
		e = &cache[i];
		if (e->p == NULL || e->kind != rt->kind ||
		    strcmp(e->name, rt->name) != 0)
			continue;
		if (e->gen != profile_cache_generation() ||
		    util_elapsed_ms(&e->loaded) >= cache_ttl * 1000.0) {
			profile_cache_drop(e);
			return -1;
		}
		if (profile_row_copy(p, e->p) != 0)
			return -1;
		*s = e->sealed;
		return 0;
	}
	return -1;
}

/* Keeps the row p and s were read into, read at generation gen. */
void
profile_cache_put(const struct route *rt, const struct profile *p,
    const struct profile_sealed *s, unsigned long gen)
{
	struct profile_cache_entry *e;
	size_t i;

	if (cache_ttl == 0)
		return;
	for (i = 0; i < PROFILE_CACHE_MAX; i++)
		if (cache[i].p != NULL && cache[i].kind == rt->kind &&
		    strcmp(cache[i].name, rt->name) == 0)
			profile_cache_drop(&cache[i]);
	e = &cache[cache_next++ % PROFILE_CACHE_MAX];
	profile_cache_drop(e);
	if ((e->p = malloc(sizeof(*e->p))) == NULL ||
	    profile_row_copy(e->p, p) != 0) {
		free(e->p);
		e->p = NULL;
		return;
	}
	if ((e->sealed = malloc(sizeof(*e->sealed))) == NULL) {
		profile_cache_drop(e);
		return;
	}
	memcpy(e->sealed, s, sizeof(*s));
	e->kind = rt->kind;
	snprintf(e->name, sizeof(e->name), "%s", rt->name);
	e->gen = gen;
	clock_gettime(CLOCK_MONOTONIC, &e->loaded);
}

void
profile_cache_flush(void)
{
	size_t i;

	for (i = 0; i < PROFILE_CACHE_MAX; i++)
		profile_cache_drop(&cache[i]);
}
