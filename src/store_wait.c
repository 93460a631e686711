/*
 * What delayed delivery of a genm (RFC 9810 5.3.22, RFC 9483 4.4) keeps
 * in MariaDB: the row of a genm answered "waiting", with the
 * InfoTypeAndValue it asked for, so that any worker on any host can ask
 * the CA again when the client polls.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>

#include "cmpd.h"

#define ARG_OCTETS(s)	DB_ARG_BLOB(ASN1_STRING_get0_data(s), \
	(unsigned long)ASN1_STRING_length(s))

/*
 * The genm req waits: one row, certReqId -1, state 'waiting', with its
 * requester (cmp_requester_check), the senderNonce sent (the pollReq
 * echoes it), the InfoTypeAndValue itav (DER) and when the client is
 * given up on (abandon seconds without a poll; the sweep expires it,
 * nothing is owed to anyone). DB_DUP: the transactionID is taken.
 */
int
store_genm_wait(const CMPD_MSG *req, const struct profile *p,
    const struct cmp_requester *who, const unsigned char *itav,
    size_t itav_len, const ASN1_OCTET_STRING *sent, int check_after,
    int abandon)
{
	static const char sql[] = "INSERT INTO cmp_transaction "
	    "(transaction_id, position, cmp_profile_uuid, ra_profile_uuid, "
	    "request_type, cert_req_id, state, requester_method, "
	    "requester_cert_hash, requester_kid, last_sender_nonce, "
	    "next_check, deadline, genm_itav) VALUES (?, 0, ?, ?, ?, -1, "
	    "'waiting', ?, ?, ?, ?, NOW(6) + INTERVAL ? SECOND, "
	    "NOW(6) + INTERVAL ? SECOND, ?)";
	struct db_arg none = DB_ARG_NULL;
	struct db_arg a[11] = {
		ARG_OCTETS(req->header->transactionID),
		DB_ARG_STR(p->cmp_uuid),
		DB_ARG_STR(p->ra_uuid),
		DB_ARG_INT(CMPD_BODY_GENM),
		DB_ARG_STR(profile_prot_name(who->method)),
		DB_ARG_BLOB(who->cert_hash, 32),
		DB_ARG_BLOB(who->kid, who->kid_len),
		ARG_OCTETS(sent),
		DB_ARG_INT(check_after),
		DB_ARG_INT(abandon),
		DB_ARG_BLOB(itav, itav_len),
	};

	if (who->method == PROT_SIGNATURE)
		a[6] = none;
	else
		a[5] = none;
	return db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/*
 * The InfoTypeAndValue (DER, into buf of n bytes) of the waiting genm
 * of transaction tid. DB_NOTFOUND: no such genm waits.
 */
int
store_genm_itav(const ASN1_OCTET_STRING *tid, unsigned char *buf, size_t n,
    size_t *len)
{
	static const char sql[] = "SELECT genm_itav FROM cmp_transaction "
	    "WHERE transaction_id = ? AND position = 0 AND request_type = ? "
	    "AND state = 'waiting' AND genm_itav IS NOT NULL";
	struct db_arg a[2] = { ARG_OCTETS(tid), DB_ARG_INT(CMPD_BODY_GENM) };
	struct db_col c[1];
	int r;

	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = buf, c[0].n = n;
	if ((r = db_run(sql, a, 2, c, 1, NULL)) != DB_OK)
		return r;
	if (c[0].null || c[0].err || c[0].len > n)
		return DB_ERR;
	*len = c[0].len;
	return DB_OK;
}
