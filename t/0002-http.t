#!/bin/sh
# The HTTP surface: routes, methods, content type, body cap, headers,
# keep-alive; straight over FastCGI and through lighttpd.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "body_max = 4096"
t_start_lighttpd || bail "lighttpd did not start"
plan_auto

F=$T_FIXTURES
IR=$F/genm-pbm.der
CMP=/api/v1/protocols/cmp

# via_fcgi/via_post FILE PATH [content-type]
via_fcgi() { t_fcgi "$1" "$2" POST "${3-application/pkixcmp}"; }
via_post() { t_post "$@"; }

for via in via_fcgi via_post; do
	is "$($via "$IR" $CMP/demo)" 200 "$via: CMP answer is 200"
	is "$(t_header Content-Type)" application/pkixcmp "$via: content type"
	is "$(t_header Content-Length)" "$(wc -c < "$T/resp.der")" \
		"$via: Content-Length matches the body"
	like "$(t_header X-Request-Id)" '^[0-9]+-[0-9]+$' "$via: request id"
	nok "$via: not chunked" grep -qi '^Transfer-Encoding' "$T/resp.hdr"

	is "$($via "$IR" /api/v1/nothing)" 404 "$via: unknown path 404"
	# no answer is a page a browser would guess, run or frame: management
	# API answers carry what clients sent (subjects, names)
	is "$(t_header X-Content-Type-Options)" nosniff "$via: an API answer: nosniff"
	is "$(t_header Content-Security-Policy)" "default-src 'none'; frame-ancestors 'none'" \
		"$via: ... and a policy that allows nothing"
	is "$($via "$IR" $CMP/a%20b)" 404 "$via: bad profile name 404"
	is "$($via "$IR" $CMP/demo/extra)" 404 "$via: deeper path 404"
	is "$($via "$IR" $CMP/demo text/plain)" 415 "$via: text/plain 415"
	is "$($via "$IR" $CMP/demo application/octet-stream)" 415 \
		"$via: octet-stream 415"
	is "$($via "$IR" $CMP/demo 'Application/PKIXCMP; charset=x')" 200 \
		"$via: media type case-insensitive, parameters allowed"

	head -c 4097 /dev/zero > "$T/big"
	is "$($via "$T/big" $CMP/demo)" 413 "$via: body_max + 1 is 413"
	head -c 300000 /dev/urandom > "$T/big"
	is "$($via "$T/big" $CMP/demo)" 413 "$via: 300 kB body is 413"
	head -c 4096 /dev/zero > "$T/max"
	is "$($via "$T/max" $CMP/demo)" 400 "$via: body_max bytes of zeros: read, not DER (400)"
	is "$($via /dev/null $CMP/demo)" 400 "$via: empty body 400"
done

# methods other than POST (curl and cgi-fcgi each)
is "$(t_fcgi "" $CMP/demo GET)" 405 "GET 405"
is "$(t_header Allow)" POST "405 names Allow: POST"
is "$(t_fcgi "" $CMP/demo PUT)" 405 "PUT 405"
st=$(curl -sS --noproxy '*' -o "$T/get.out" -D "$T/get.hdr" -w '%{http_code}' "$HTTP_BASE$CMP/demo")
is "$st" 405 "GET through lighttpd 405"
st=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/pkixcmp' --data-binary "@$IR" "$HTTP_BASE/index.html")
is "$st" 404 "paths outside cmpd's prefixes are not cmpd's"

# Content-Length larger than the body (cgi-fcgi only: curl cannot lie)
len=$(wc -c < "$IR")
head -c 100 "$IR" > "$T/short"
st=$(env -i PATH="$PATH" REQUEST_METHOD=POST REQUEST_URI=$CMP/demo \
	CONTENT_TYPE=application/pkixcmp CONTENT_LENGTH="$len" \
	cgi-fcgi -bind -connect "$T/cmpd.sock" < "$T/short" | tr -d '\r' | sed -n 's/^Status: //p')
like "$st" "^400" "body shorter than Content-Length 400"

# keep-alive: two requests on one client connection
curl -sS --noproxy '*' -v -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$IR" -o /dev/null "$HTTP_BASE$CMP/demo" \
	--next -H 'Content-Type: application/pkixcmp' --data-binary "@$IR" \
	-o /dev/null "$HTTP_BASE$CMP/demo" > "$T/ka.log" 2>&1
like "$(cat "$T/ka.log")" "Re-using existing connection" "keep-alive honoured"
is "$(grep -c '< HTTP/1.1 200' "$T/ka.log")" 2 "both answered 200"

# plain HTTP outcomes have stable names in the request log
for name in HTTP_NO_ROUTE HTTP_METHOD HTTP_CONTENT_TYPE HTTP_TOO_LARGE HTTP_SHORT_BODY CMPF_BAD_DER; do
	like "$(cat "$T/cmpd.log")" "outcome=$name ms=" "log names outcome $name"
done
st=$(env -i PATH="$PATH" REQUEST_METHOD=POST REQUEST_URI=$CMP/demo \
	CONTENT_TYPE=application/pkixcmp CONTENT_LENGTH=12x \
	cgi-fcgi -bind -connect "$T/cmpd.sock" < "$IR" | tr -d '\r' | sed -n 's/^Status: //p')
like "$st" "^400" "Content-Length not a number 400"
like "$(cat "$T/cmpd.log")" "outcome=HTTP_BAD_LENGTH" "logged as HTTP_BAD_LENGTH"
st=$(env -i PATH="$PATH" REQUEST_METHOD='GET x=1 status=200' REQUEST_URI=$CMP/demo \
	cgi-fcgi -bind -connect "$T/cmpd.sock" < /dev/null | tr -d '\r' | sed -n 's/^Status: //p')
like "$st" "^405" "odd method 405"
like "$(grep 'status=405' "$T/cmpd.log" | tail -n 1)" "method=\\? status=405" \
	"a method that is not a token is logged as ?"

# the worker survived all of this
is "$(t_fcgi "$IR" $CMP/demo)" 200 "still serving"
ok "cmpd alive" kill -0 "$CMPD_PID"
done_testing
