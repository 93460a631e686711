/*
 * A verified signer's standing in cmpd's inventory (DESIGN invariant 2:
 * a certificate cmpd revoked never authenticates): the look-up that step
 * 3 makes for every signed message (cmp_server_sig_check), or that a
 * certConf leaves to the UPDATE that confirms it and makes here only
 * when that UPDATE did not run or changed nothing (cmp_confirm,
 * cmp_request).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cmpd.h"
#include "store.h"

/*
 * A signer whose certificate, or a CA certificate of whose chain, cmpd
 * revoked (or is revoking, or saw rejected) is refused, whichever CMP
 * Profile issued it (DESIGN invariant 2): the inventory knows at once
 * what a CRL tells only at its next update. So is one cmpd issued that
 * still waits for its certConf: the sweep revokes it if none comes (or
 * if its requester may no longer confirm it), and what it signed would
 * outlive it. One exception: the pollReq of a waiting rr, signed by the
 * certificate being revoked (RFC 9810 5.3.22): its revocation is what
 * the client waits for (cmp_poll.c holds it to the rr's requester).
 */
enum cmp_fail
cmp_signer_revoked(const CMPD_MSG *req, STACK_OF(X509) *chain)
{
	char (*st)[STORE_STATUS_LEN] = NULL;
	enum cmp_fail f = CMPF_DB_UNAVAILABLE;
	const char *status;
	int i, r;

	if (sk_X509_num(chain) <= 0)
		return CMPF_OK;
	/* the whole chain in one look-up */
	if ((st = calloc((size_t)sk_X509_num(chain), sizeof(*st))) == NULL)
		return CMPF_INTERNAL;
	if (store_chain_status(chain, st) != DB_OK)
		goto out;
	f = CMPF_OK;
	for (i = 0; i < sk_X509_num(chain); i++) {
		status = st[i];
		if (status[0] == '\0')
			continue;
		if (i == 0 && strcmp(status, "issued") != 0 &&
		    cmp_msg_body_type(req) == CMPD_BODY_POLLREQ &&
		    (r = store_tx_rr_waiting(req->header->transactionID,
		    sk_X509_value(chain, 0))) != DB_NOTFOUND) {
			if (r != DB_OK) {
				f = CMPF_DB_UNAVAILABLE;
				goto out;
			}
			continue;
		}
		if (strcmp(status, "unconfirmed") == 0) {
			f = CMPF_SIGNER_UNCONFIRMED;
			goto out;
		}
		/* STORE_BARRED_SQL's statuses */
		if (strcmp(status, "revoked") == 0 ||
		    strcmp(status, "revoke_pending") == 0 ||
		    strcmp(status, "rejected") == 0) {
			f = i == 0 ? CMPF_SIGNER_REVOKED :
			    CMPF_SIGNER_CA_REVOKED;
			goto out;
		}
	}
 out:
	free(st);
	return f;
}

/*
 * The look-up cmp_server_sig_check() left to a certConf's UPDATE, made
 * now: the UPDATE changed nothing, or the message is refused before it
 * ran. CMPF_OK when none was left.
 */
enum cmp_fail
cmp_signer_lookup(const CMPD_MSG *req, struct profile *prof)
{
	if (!prof->signer_pending)
		return CMPF_OK;
	prof->signer_pending = 0;
	return cmp_signer_revoked(req, prof->signer_chain);
}
