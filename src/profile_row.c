/*
 * A profile's row as read (profile.c's profile_read), copied and let go:
 * the request's copy (profile.c) and the worker's cache (profile_cache.c)
 * both hold one. The row's attribute arrays are strings of their own
 * (struct profile), so a copy duplicates them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmpd.h"

/* The row's attribute strings freed; the rest of p stays. */
void
profile_row_free(struct profile *p)
{
	free(p->issue_attrs);
	free(p->revoke_attrs);
	free(p->ra_attrs);
	p->issue_attrs = p->revoke_attrs = p->ra_attrs = NULL;
}

/*
 * Copies the row src holds, as profile_read left it, into dst: the
 * attribute arrays duplicated; none of what a request opens or loads (the
 * secret, the credentials, signing material, the signer) comes along.
 * -1: out of memory, and dst holds nothing to free.
 */
int
profile_row_copy(struct profile *dst, const struct profile *src)
{
	memcpy(dst, src, sizeof(*dst));
	dst->issue_attrs = dst->revoke_attrs = dst->ra_attrs = NULL;
	dst->connector_cred = NULL;
	dst->connector_cred_size = 0;
	dst->sign_key = NULL;
	dst->sign_cert = NULL;
	dst->sign_chain = dst->anchors = dst->signer_chain = NULL;
	dst->crls = NULL;
	OPENSSL_cleanse(dst->secret, sizeof(dst->secret));
	dst->secret_len = 0;
	dst->has_secret = 0;
	if ((src->issue_attrs != NULL &&
	    (dst->issue_attrs = strdup(src->issue_attrs)) == NULL) ||
	    (src->revoke_attrs != NULL &&
	    (dst->revoke_attrs = strdup(src->revoke_attrs)) == NULL) ||
	    (src->ra_attrs != NULL &&
	    (dst->ra_attrs = strdup(src->ra_attrs)) == NULL)) {
		profile_row_free(dst);
		return -1;
	}
	return 0;
}
