/*
 * The connector client's unit tests' shared parts (conn_fx.c).
 */
#ifndef CMPD_CONN_FX_H
#define CMPD_CONN_FX_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define AUTHORITY	"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define FX_ISSUED_UUID	"6c1f2a54-0000-4000-8000-00000000abcd"

/* a request for the calls: any DER, sent as it is */
#define FX_REQ_DER_LEN	15
extern const unsigned char fx_req_der[FX_REQ_DER_LEN];

struct conf;
int	 fx_setup(struct conf *);
EVP_PKEY *fx_make_key(void);
X509	*fx_make_cert(EVP_PKEY *, const char *cn, int serial, int server);
X509	*fx_issue_cert(EVP_PKEY *, const char *cn, int serial, int server,
	    X509 *issuer, EVP_PKEY *ikey);
char	*fx_cert_b64(X509 *, int wrap);
char	*fx_issue_body(X509 *);
double	 fx_now(void);
int	 fx_closed_port(void);
void	 fx_set_url(char *buf, size_t n, const char *scheme, int port,
	    const char *path);
struct conn_target;
struct srv;
struct canned;
void	 fx_aim(struct conn_target *, char *url, size_t urlsize,
	    struct srv *, struct canned *, size_t n);

#endif
