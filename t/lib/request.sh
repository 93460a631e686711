# t/lib/request.sh -- requests to the stack: the management API (t_api_key,
# t_api, t_json) and CMP messages (t_post, t_post_seq, t_fcgi,
# t_split_response, t_header)
# Part of t/lib.sh, which sources it: tests source t/lib.sh only.

# t_api_key NAME ROLE: an API key (read|admin) made straight in the
# database, as cmpctl would make it; prints the key.
t_api_key() {
	local key
	key=cmpd_$(openssl rand -hex 32)
	t_sql "INSERT INTO api_key (uuid, name, role, key_hash, key_prefix)
	  VALUES (UUID(), '$1', '$2', UNHEX(SHA2('$key', 256)), LEFT('$key', 12))" ||
		bail "t_api_key: insert failed"
	printf '%s\n' "$key"
}

# t_api METHOD PATH [JSON] [KEY]: the management API through the web
# server ($HTTP_BASE/api/v1PATH) with API key KEY (default $API_KEY; "-"
# for none).  Prints the HTTP status; the body is left in $T/api.json.
t_api() {
	local method=$1 path=$2 body=${3-} key=${4-${API_KEY-}}
	local args=(-sS --noproxy '*' --max-time 30 -X "$method" -o "$T/api.json"
		-w '%{http_code}\n' -H 'Expect:')
	[ "$key" = - ] || args+=(-H "Authorization: Bearer $key")
	[ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
	rm -f "$T/api.json"
	curl "${args[@]}" "$HTTP_BASE/api/v1$path"
}

# t_json EXPR: a value of $T/api.json (python3 expression on j).
t_json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v='"$1"'; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$T/api.json"
}

# ============================================================ requests
# Both leave the response body in $T/resp.der and the headers in
# $T/resp.hdr, print the HTTP status, and fail only when no answer came.

# t_post FILE PATH [content-type]   through lighttpd ($HTTP_BASE)
t_post() {
	local ctype=${3-application/pkixcmp}
	rm -f "$T/resp.der" "$T/resp.hdr"
	curl -sS --noproxy '*' --max-time 30 \
		-H "Content-Type: $ctype" -H 'Expect:' \
		--data-binary "@$1" -D "$T/resp.hdr" -o "$T/resp.der" \
		-w '%{http_code}\n' "$HTTP_BASE$2"
}

# t_responses FILE: the CertResponses of an ip, cp or kup on one line,
# "certReqId:status[:failInfo] ..."
t_responses() {
	"$top_builddir/t/cmptool" dump "$1" | awk -F= '
		$1 == "certReqId" { if (r != "") printf "%s ", r; r = $2 }
		$1 == "status" && r != "" { r = r ":" $2 }
		$1 == "failInfo" && r != "" { r = r ":" $2 }
		END { if (r != "") printf "%s", r; print "" }'
}

# t_post_seq N OUT FILE PATH: N POSTs of FILE to PATH through lighttpd,
# one after the other on one client connection (one FastCGI connection
# to cmpd each), one HTTP status per line in OUT (curl buffers them until
# it ends).
t_post_seq() {
	local i
	{
		echo 'header = "Content-Type: application/pkixcmp"'
		echo "data-binary = \"@$3\""
		echo 'write-out = "%{http_code}\n"'
		echo 'max-time = 30'
		echo 'no-buffer'
		for i in $(seq 1 "$1"); do
			echo "url = \"$HTTP_BASE$4\""
			echo 'output = "/dev/null"'
		done
	} > "$2.cfg"
	curl -s --noproxy '*' -K "$2.cfg" > "$2"
}

# t_fcgi FILE PATH [method] [content-type]   straight to cmpd's FastCGI
# socket with cgi-fcgi, as lighttpd would (clean environment).  FILE may
# be /dev/null or "" for no body.
t_fcgi() {
	local file=$1 path=$2 method=${3-POST} ctype=${4-application/pkixcmp}
	local len=0 raw=$T/resp.raw
	[ -z "$file" ] && file=/dev/null
	[ "$file" = /dev/null ] || len=$(wc -c < "$file")
	rm -f "$T/resp.der" "$T/resp.hdr" "$raw"
	timeout 30 env -i PATH="$PATH" \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_SOFTWARE=t_fcgi \
		SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=127.0.0.1 SERVER_ADDR=127.0.0.1 \
		SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 REMOTE_PORT=40000 \
		REQUEST_METHOD="$method" REQUEST_URI="$path" \
		SCRIPT_NAME="${path%%\?*}" QUERY_STRING="$([[ $path == *\?* ]] && echo "${path#*\?}")" \
		CONTENT_TYPE="$ctype" CONTENT_LENGTH="$len" \
		cgi-fcgi -bind -connect "$T/cmpd.sock" < "$file" > "$raw" || {
		diag "t_fcgi: cgi-fcgi failed (exit $?)"
		return 1
	}
	t_split_response "$raw"
}

# t_split_response RAW: split CGI-style output (headers, empty line, body)
# into $T/resp.hdr and $T/resp.der, byte-exact; print the Status (200 if
# there is no Status header).  The header ends at the first empty line,
# "\r\n" or "\n".
t_split_response() {
	local raw=$1 line off st
	line=$(LC_ALL=C grep -abU -m 1 -E $'^\r?$' "$raw")
	if [ -n "$line" ]; then
		off=${line%%:*}
		line=${line#*:}
		head -c "$off" "$raw" > "$T/resp.hdr"
		tail -c +"$((off + ${#line} + 2))" "$raw" > "$T/resp.der"
	else
		cp "$raw" "$T/resp.hdr"
		: > "$T/resp.der"
	fi
	st=$(LC_ALL=C sed -n 's/^[Ss][Tt][Aa][Tt][Uu][Ss]:[[:space:]]*\([0-9][0-9][0-9]\).*/\1/p' \
		"$T/resp.hdr" | head -n 1)
	echo "${st:-200}"
}

# t_header NAME   value of a response header from the last t_post/t_fcgi
t_header() {
	LC_ALL=C awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ sub(/\r$/, "") }
		tolower(substr($0, 1, length(n) + 1)) == n ":" {
			v = substr($0, length(n) + 2); sub(/^[ \t]+/, "", v); print v; exit
		}' "$T/resp.hdr"
}
