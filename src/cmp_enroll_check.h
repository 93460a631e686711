/*
 * cmp_enroll_check.c: one request of an ir, cr, kur or p10cr, as the
 * enrolment (cmp_enroll.c) carries it from its checks before the CA is
 * asked to its answer, and those checks.
 */
#ifndef CMP_ENROLL_CHECK_H
#define CMP_ENROLL_CHECK_H

#include "cmpd.h"
#include "conn.h"

/* One CertReqMsg (or the p10cr's CSR) and what became of it. */
struct enroll_item {
	const OSSL_CRMF_MSG *crm;	/* the request, or own */
	OSSL_CRMF_MSG *own;		/* p10cr: the CSR as a template */
	long	 rid;			/* certReqId; -1 for p10cr */
	enum cmp_fail fail;
	char	 text[CMP_TEXT_MAX];	/* the failure text's argument */
	X509	*old;			/* kur: the certificate to update */
	char	*old_meta;		/* ... its connector meta, or NULL */
	unsigned char *one;		/* what the CA is asked, DER */
	int	 n;
	int	 pos;			/* its transaction row; -1: none */
	int	 ra_verified;		/* POP raVerified, on an RA's word */
	int	 ra;			/* RA_PERM_* it was taken on */
	int	 waiting;		/* the CA has not decided yet */
	CMPD_ENCRYPTEDKEY *ckg;		/* a generated key, for the answer */
	struct conn_result res;
	char	 cert_uuid[CMPD_UUID_LEN + 1];
};


/* cmp_enroll_check.c */
enum cmp_fail cmp_enroll_count(const CMPD_MSG *, const struct profile *,
	    int n, char *text, size_t textlen);
enum cmp_fail cmp_enroll_requests(const CMPD_MSG *, OSSL_CRMF_MSGS *,
	    struct enroll_item *, int n, char *text, size_t textlen);
void	cmp_enroll_check(const CMPD_MSG *, struct profile *,
	    const STACK_OF(ASN1_UTF8STRING) *profiles, int i,
	    struct enroll_item *);

#endif /* CMP_ENROLL_CHECK_H */
