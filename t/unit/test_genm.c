/*
 * Unit test for cmp_itav.c and cmp_tmpl.c: the genm/genp values of
 * RFC 9483 4.3.
 *
 *  (a) RootCaKeyUpdateContent: newWithOld and oldWithNew carry EXPLICIT
 *      [0] and [1] (the PKIXCMP module's tagging), and round-trip;
 *  (b) CRLStatusList: a dpn source is [0] around a DistributionPointName,
 *      an issuer source [1] around GeneralNames; thisUpdate optional;
 *  (c) a certReqTemplate JSON becomes a CertReqTemplateContent whose
 *      certTemplate and keySpec controls say what the JSON says; bad
 *      templates are refused with the texts the API shows;
 *  (d) OIDs and the ANY wrapping.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cmp_itav.h"
#include "cmpd.h"
#include "tap.h"

static X509 *
fixture_cert(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	X509 *x = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/t/fixtures/%s", top ? top : ".", name);
	if ((f = fopen(path, "r")) != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (x == NULL) {
		printf("Bail out! %s is no PEM certificate\n", name);
		exit(1);
	}
	return x;
}

/* The tag byte of the n-th element of the SEQUENCE der (0-based). */
static int
nth_tag(const unsigned char *der, long len, int n)
{
	const unsigned char *p = der, *end;
	long l;
	int tag, xclass, i;

	if (ASN1_get_object(&p, &l, &tag, &xclass, len) & 0x80)
		return -1;
	end = p + l;
	for (i = 0; p < end; i++) {
		const unsigned char *start = p;

		if (ASN1_get_object(&p, &l, &tag, &xclass, end - p) & 0x80)
			return -1;
		if (i == n)
			return start[0];
		p += l;
	}
	return -1;
}

static void
test_root_update(void)
{
	X509 *a = fixture_cert("root.pem"), *b = fixture_cert("ee.pem");
	CMPD_ROOTCAKEYUPDATE *u = CMPD_ROOTCAKEYUPDATE_new(), *d;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len;

	X509_free(u->newWithNew);
	u->newWithNew = X509_dup(a);
	u->newWithOld = X509_dup(b);
	u->oldWithNew = X509_dup(a);
	len = i2d_CMPD_ROOTCAKEYUPDATE(u, &der);
	ok(len > 0, "RootCaKeyUpdateContent encodes");
	is_int(nth_tag(der, len, 0), 0x30, "newWithNew: a plain Certificate");
	is_int(nth_tag(der, len, 1), 0xa0, "newWithOld: [0] EXPLICIT");
	is_int(nth_tag(der, len, 2), 0xa1, "oldWithNew: [1] EXPLICIT");
	p = der;
	d = d2i_CMPD_ROOTCAKEYUPDATE(NULL, &p, len);
	ok(d != NULL && p == der + len, "and decodes");
	ok(d != NULL && X509_cmp(d->newWithNew, a) == 0 &&
	    X509_cmp(d->newWithOld, b) == 0 && X509_cmp(d->oldWithNew, a) == 0,
	    "the same three certificates");
	CMPD_ROOTCAKEYUPDATE_free(d);
	OPENSSL_free(der);
	der = NULL;
	X509_free(u->newWithOld);
	X509_free(u->oldWithNew);
	u->newWithOld = u->oldWithNew = NULL;
	len = i2d_CMPD_ROOTCAKEYUPDATE(u, &der);
	is_int(nth_tag(der, len, 1), -1, "the links are optional");
	OPENSSL_free(der);
	CMPD_ROOTCAKEYUPDATE_free(u);
	X509_free(a);
	X509_free(b);
}

static void
test_crl_status(void)
{
	CMPD_CRLSTATUSLIST *l = sk_CMPD_CRLSTATUS_new_null(), *d;
	CMPD_CRLSTATUS *s1 = CMPD_CRLSTATUS_new(), *s2 = CMPD_CRLSTATUS_new();
	GENERAL_NAME *uri = GENERAL_NAME_new(), *dn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	unsigned char *der = NULL, *e1 = NULL;
	const unsigned char *p;
	int len, l1;

	ASN1_STRING_set(ia5, "http://ca.example/ca.crl", -1);
	GENERAL_NAME_set0_value(uri, GEN_URI, ia5);
	s1->source->type = CMPD_CRLSOURCE_DPN;
	s1->source->value.dpn = DIST_POINT_NAME_new();
	s1->source->value.dpn->type = 0;
	s1->source->value.dpn->name.fullname = sk_GENERAL_NAME_new_null();
	sk_GENERAL_NAME_push(s1->source->value.dpn->name.fullname, uri);
	GENERAL_NAME_set0_value(dn, GEN_DIRNAME,
	    cmp_msg_parse_name("CN=Test CA"));
	s2->source->type = CMPD_CRLSOURCE_ISSUER;
	s2->source->value.issuer = sk_GENERAL_NAME_new_null();
	sk_GENERAL_NAME_push(s2->source->value.issuer, dn);
	s2->thisUpdate = ASN1_TIME_new();
	ASN1_TIME_set_string(s2->thisUpdate, "20260101000000Z");
	sk_CMPD_CRLSTATUS_push(l, s1);
	sk_CMPD_CRLSTATUS_push(l, s2);

	l1 = i2d_CMPD_CRLSTATUS(s1, &e1);
	is_int(nth_tag(e1, l1, 0), 0xa0, "dpn: [0] EXPLICIT");
	ok(l1 > 4 && e1[4] == 0xa0, "around fullName [0]");
	is_int(nth_tag(e1, l1, 1), -1, "thisUpdate absent");
	OPENSSL_free(e1);
	e1 = NULL;
	l1 = i2d_CMPD_CRLSTATUS(s2, &e1);
	is_int(nth_tag(e1, l1, 0), 0xa1, "issuer: [1] EXPLICIT");
	is_int(nth_tag(e1, l1, 1), 0x18, "thisUpdate: GeneralizedTime");
	OPENSSL_free(e1);

	len = i2d_CMPD_CRLSTATUSLIST(l, &der);
	ok(len > 0, "CRLStatusList encodes");
	p = der;
	d = d2i_CMPD_CRLSTATUSLIST(NULL, &p, len);
	ok(d != NULL && sk_CMPD_CRLSTATUS_num(d) == 2, "and decodes");
	ok(d != NULL && sk_CMPD_CRLSTATUS_value(d, 0)->source->type ==
	    CMPD_CRLSOURCE_DPN && sk_CMPD_CRLSTATUS_value(d, 1)->source->type ==
	    CMPD_CRLSOURCE_ISSUER, "with its sources");
	ok(d != NULL && ASN1_TIME_compare(sk_CMPD_CRLSTATUS_value(d,
	    1)->thisUpdate, s2->thisUpdate) == 0, "and thisUpdate");
	CMPD_CRLSTATUSLIST_free(d);
	CMPD_CRLSTATUSLIST_free(l);
	OPENSSL_free(der);
}

static CMPD_CERTREQTEMPLATE *
tmpl(const char *json, int *rc, char *err, size_t errlen)
{
	json_object *o = json_tokener_parse(json);
	unsigned char *der = NULL;
	const unsigned char *p;
	CMPD_CERTREQTEMPLATE *t = NULL;
	int len;

	*rc = cmp_tmpl_build(o, &der, &len, err, errlen);
	if (*rc == 0) {
		p = der;
		t = d2i_CMPD_CERTREQTEMPLATE(NULL, &p, len);
		if (p != der + len) {
			CMPD_CERTREQTEMPLATE_free(t);
			t = NULL;
		}
	}
	OPENSSL_free(der);
	json_object_put(o);
	return t;
}

static void
test_template(void)
{
	CMPD_CERTREQTEMPLATE *t;
	CMPD_ATAV *a;
	X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *o;
	const unsigned char *p;
	const void *pv;
	char err[160], buf[128];
	long n;
	int rc, pt;

	t = tmpl("{\"subject\":\"CN=device,O=Example\",\"keyUsage\":"
	    "[\"digitalSignature\"],\"extendedKeyUsage\":[\"clientAuth\","
	    "\"1.3.6.1.5.5.7.3.28\"],\"keySpec\":\"EC:P-256\"}", &rc, err,
	    sizeof(err));
	ok(t != NULL, "a full template builds and decodes");
	if (t == NULL)
		return;
	X509_NAME_oneline(t->certTemplate->subject, buf, sizeof(buf));
	is_str(buf, "/O=Example/CN=device", "subject");
	is_int(sk_X509_EXTENSION_num(t->certTemplate->extensions), 2,
	    "keyUsage and extendedKeyUsage");
	ok(X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(
	    t->certTemplate->extensions, 0)), "keyUsage critical");
	ok(t->certTemplate->publicKey == NULL, "no publicKey");
	is_int(sk_CMPD_ATAV_num(t->keySpec), 1, "one control");
	a = sk_CMPD_ATAV_value(t->keySpec, 0);
	ok(cmp_itav_is(a->type, CMP_ITAV_OID_REGCTRL_ALGID), "id-regCtrl-algId");
	if (cmp_itav_value_der(a->value, &p, &n) == 0)
		alg = d2i_X509_ALGOR(NULL, &p, n);
	ok(alg != NULL, "an AlgorithmIdentifier");
	if (alg != NULL) {
		X509_ALGOR_get0(&o, &pt, &pv, alg);
		is_int(OBJ_obj2nid(o), NID_X9_62_id_ecPublicKey, "id-ecPublicKey");
		ok(pt == V_ASN1_OBJECT && OBJ_obj2nid(pv) ==
		    NID_X9_62_prime256v1, "P-256 is prime256v1");
	}
	X509_ALGOR_free(alg);
	CMPD_CERTREQTEMPLATE_free(t);

	t = tmpl("{\"keySpec\":\"RSA:2048\"}", &rc, err, sizeof(err));
	ok(t != NULL && sk_CMPD_ATAV_num(t->keySpec) == 1, "an RSA template");
	if (t != NULL) {
		a = sk_CMPD_ATAV_value(t->keySpec, 0);
		ok(cmp_itav_is(a->type, CMP_ITAV_OID_REGCTRL_RSAKEYLEN) &&
		    a->value->type == V_ASN1_INTEGER &&
		    ASN1_INTEGER_get(a->value->value.integer) == 2048,
		    "id-regCtrl-rsaKeyLen 2048");
		ok(t->certTemplate->subject == NULL &&
		    t->certTemplate->extensions == NULL, "nothing else");
	}
	CMPD_CERTREQTEMPLATE_free(t);
	t = tmpl("{}", &rc, err, sizeof(err));
	ok(t != NULL && t->keySpec == NULL, "an empty template: no keySpec");
	CMPD_CERTREQTEMPLATE_free(t);
	t = tmpl("{\"keySpec\":\"Ed25519\"}", &rc, err, sizeof(err));
	ok(t != NULL, "Ed25519");
	CMPD_CERTREQTEMPLATE_free(t);

	t = tmpl("{\"keySpec\":\"RSA:2048x\"}", &rc, err, sizeof(err));
	ok(t == NULL && rc == -1, "RSA:2048x refused");
	is_str(err, "certReqTemplate.keySpec: RSA key length must be 2048 to "
	    "16384 bits", "with its text");
	t = tmpl("{\"keyUsage\":\"digitalSignature\"}", &rc, err, sizeof(err));
	is_str(err, "certReqTemplate.keyUsage must be an array of 1 to 16 "
	    "names", "keyUsage must be a list");
	t = tmpl("{\"extendedKeyUsage\":[\"a,b\"]}", &rc, err, sizeof(err));
	is_str(err, "certReqTemplate.extendedKeyUsage: unknown purpose a,b",
	    "no config syntax smuggled in");
	t = tmpl("[]", &rc, err, sizeof(err));
	ok(rc == -1, "an array is no template");
}

static void
test_oids(void)
{
	ASN1_OBJECT *o = cmp_itav_oid(CMP_ITAV_OID_CACERTS);
	const unsigned char *p;
	unsigned char seq[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	ASN1_TYPE *t;
	long n;

	ok(o != NULL && cmp_itav_is(o, "1.3.6.1.5.5.7.4.17"), "id-it-caCerts");
	ok(!cmp_itav_is(o, CMP_ITAV_OID_CRLS), "is not id-it-crls");
	ASN1_OBJECT_free(o);
	t = cmp_itav_seq_value(seq, sizeof(seq));
	ok(t != NULL && cmp_itav_value_der(t, &p, &n) == 0 &&
	    n == (long)sizeof(seq) && memcmp(p, seq, sizeof(seq)) == 0,
	    "a SEQUENCE in an ANY and back");
	ASN1_TYPE_free(t);
	t = ASN1_TYPE_new();
	ASN1_TYPE_set(t, V_ASN1_NULL, NULL);
	ok(cmp_itav_value_der(t, &p, &n) != 0, "a NULL is not");
	ASN1_TYPE_free(t);
}

int
main(void)
{
	test_root_update();
	test_crl_status();
	test_template();
	test_oids();
	return done_testing();
}
