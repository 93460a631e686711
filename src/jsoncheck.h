/*
 * jsoncheck.c - JSON from outside, parsed with json-c and checked
 * strictly. Used by the connector client, the management API, cmpctl and
 * cmp-localca.
 */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stddef.h>

/* Outcomes of reading JSON (a connector's reply, an API request body). */
#define PARSE_OK	0
#define PARSE_BAD	1	/* not one well-formed JSON value */
#define PARSE_ERR	(-1)	/* out of memory */
struct json_object;
int	jsoncheck_parse(const char *s, size_t len, int depth,
	    struct json_object **out);
int	jsoncheck_parse_why(const char *s, size_t len, int depth,
	    struct json_object **out, char *why, size_t whylen);

/* What json-c accepts in JSON text and cmpd refuses */
#define JSONCHECK_OK		0
#define JSONCHECK_DUP_MEMBER	1	/* a name twice in one object */
#define JSONCHECK_SURROGATE	2	/* a \u escape of half a pair */
#define JSONCHECK_TOKEN		3	/* NaN, 'name', 1. (RFC 8259 no) */
#define JSONCHECK_ERR		(-1)	/* out of memory */
int	jsoncheck_text(const char *s, size_t len, int depth, char *why,
	    size_t whylen);

#endif
