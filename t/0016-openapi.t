#!/bin/sh
# t/0016-openapi.t -- doc/openapi.json is a valid OpenAPI 3.0 document and
# describes exactly the management API cmpd implements.
#
#  1. the document validates against the official OpenAPI 3.0 JSON schema
#     (Debian's openapi-specification, Draft 4, python3-jsonschema);
#  2. semantic checks the schema cannot make: every $ref resolves, every
#     path template parameter is declared, every operation has an x-role,
#     an operationId and a 401 answer, secrets are writeOnly;
#  3. its (method, path, x-role) triples equal cmpd's route table as
#     "cmpctl routes" prints it ("METHOD /api/v1/PATH ROLE"): one test per
#     implemented route, one per documented operation.
#
# Needs no network, database or web server.  Debian's /usr/bin/python3 is
# used on purpose: the python3 first on PATH may lack jsonschema.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

PY=/usr/bin/python3
DOC=$top_srcdir/doc/openapi.json
OAS_SCHEMA=/usr/share/openapi-specification/schemas/v3.0/schema.json
CMPCTL=$top_builddir/cmpctl

# ---------------------------------------------------------------- helper
cat > "$T/oas.py" <<'EOF'
"""oas.py CMD DOC [ARGS]: checks of doc/openapi.json for t/0016-openapi.t.
Prints problems, one a line; exit status 1 when there is any."""
import json
import re
import sys

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def pointer(doc, ref):
    """The object a local $ref names, or KeyError."""
    if not ref.startswith("#/"):
        raise KeyError("not a local reference")
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(part)
    return node


def deref(doc, node, depth=0):
    while isinstance(node, dict) and "$ref" in node and depth < 32:
        node = pointer(doc, node["$ref"])
        depth += 1
    return node


def operations(doc):
    for path, item in doc.get("paths", {}).items():
        for m in METHODS:
            if m in item:
                yield path, item, m, item[m]


def cmd_validate(doc, schema_path):
    import jsonschema.validators
    schema = load(schema_path)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc),
                    key=lambda e: [str(p) for p in e.absolute_path])
    print("validator: %s (%s)" % (cls.__name__, schema.get("id", "?")))
    for e in errors:
        where = " > ".join(str(p) for p in e.absolute_path) or "(root)"
        msg = e.message if len(e.message) < 300 else e.message[:300] + "..."
        print("%s: %s" % (where, msg))
        # oneOf/anyOf failures: the closest branch says more
        best = sorted(e.context, key=lambda c: -len(c.absolute_path))[:3]
        for c in best:
            print("    %s: %s" % (" > ".join(str(p) for p in c.absolute_path),
                                  c.message[:200]))
    return errors


def cmd_refs(doc):
    bad = []

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                try:
                    pointer(doc, ref)
                except (KeyError, ValueError, IndexError):
                    bad.append("%s: $ref %s does not resolve" % (where, ref))
                # OpenAPI 3.0 ignores a Reference Object's other members
                if len(node) > 1:
                    bad.append("%s: $ref with sibling members %s (ignored "
                               "by OpenAPI 3.0)" % (where, sorted(
                                   k for k in node if k != "$ref")))
            for k, v in node.items():
                walk(v, where + " > " + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s > %d" % (where, i))
    walk(doc, "(root)")
    return bad


def cmd_pathparams(doc):
    bad = []
    for path, item, m, op in operations(doc):
        want = re.findall(r"\{([^}/]+)\}", path)
        declared = {}
        for p in item.get("parameters", []) + op.get("parameters", []):
            p = deref(doc, p)
            declared[(p.get("name"), p.get("in"))] = p
        for name in want:
            p = declared.get((name, "path"))
            if p is None:
                bad.append("%s %s: path parameter {%s} not declared"
                           % (m.upper(), path, name))
            elif p.get("required") is not True:
                bad.append("%s %s: path parameter {%s} not required: true"
                           % (m.upper(), path, name))
        for name, where in declared:
            if where == "path" and name not in want:
                bad.append("%s %s: declares path parameter %s, not in the "
                           "path" % (m.upper(), path, name))
        if len(want) != len(set(want)):
            bad.append("%s: a parameter name appears twice" % path)
    return bad


def cmd_operations(doc):
    bad = []
    ids = {}
    for path, item, m, op in operations(doc):
        what = "%s %s" % (m.upper(), path)
        role = op.get("x-role")
        if role not in ("read", "admin"):
            bad.append("%s: x-role is %r, not read or admin" % (what, role))
        elif role == "read" and m != "get":
            bad.append("%s: x-role read, but the read role may only GET"
                       % what)
        for key in ("operationId", "summary"):
            if not op.get(key):
                bad.append("%s: no %s" % (what, key))
        oid = op.get("operationId")
        if oid in ids:
            bad.append("%s: operationId %s also used by %s"
                       % (what, oid, ids[oid]))
        ids[oid] = what
        resp = op.get("responses", {})
        if "401" not in resp:
            bad.append("%s: no 401 answer" % what)
        if role == "admin" and "403" not in resp:
            bad.append("%s: admin operation without a 403 answer" % what)
        for code, r in resp.items():
            if not code.startswith("4"):
                continue
            try:
                r = deref(doc, r)
                s = r["content"]["application/json"]["schema"]
            except (KeyError, TypeError):
                bad.append("%s: answer %s has no JSON body" % (what, code))
                continue
            if s != {"$ref": "#/components/schemas/Error"}:
                bad.append("%s: answer %s is not an Error" % (what, code))
    return bad


def cmd_global(doc):
    bad = []
    if doc.get("openapi") != "3.0.3":
        bad.append("openapi is %r, not 3.0.3" % doc.get("openapi"))
    if [s.get("url") for s in doc.get("servers", [])] != ["/api/v1"]:
        bad.append("servers is not [/api/v1]")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    b = schemes.get("bearerAuth", {})
    if b.get("type") != "http" or b.get("scheme") != "bearer":
        bad.append("bearerAuth is not http bearer")
    k = schemes.get("apiKeyHeader", {})
    if (k.get("type"), k.get("in"), k.get("name")) != \
            ("apiKey", "header", "X-API-Key"):
        bad.append("apiKeyHeader is not apiKey in header X-API-Key")
    sec = doc.get("security", [])
    names = sorted(n for req in sec for n in req)
    if names != ["apiKeyHeader", "bearerAuth"] or [] in sec or {} in sec:
        bad.append("global security is not bearerAuth or apiKeyHeader")
    for path, item, m, op in operations(doc):
        if "security" in op:
            bad.append("%s %s overrides security" % (m.upper(), path))
    err = doc.get("components", {}).get("schemas", {}).get("Error", {})
    if "message" not in err.get("properties", {}) or \
            "message" not in err.get("required", []):
        bad.append("schema Error has no required message")
    for code, name in (("400", "BadRequest"), ("401", "Unauthorized"),
                       ("403", "Forbidden"), ("404", "NotFound"),
                       ("409", "Conflict"), ("422", "UnprocessableEntity")):
        if name not in doc.get("components", {}).get("responses", {}):
            bad.append("no reusable response %s (%s)" % (name, code))
    return bad


SECRETS = ("sharedSecret", "credentials", "privateKey", "password")


def cmd_secrets(doc):
    """Secrets are writeOnly and say they are never returned; no schema
    that answers carry may have one readable."""
    bad = []
    seen = 0

    def walk(node, where):
        nonlocal seen
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if name not in SECRETS:
                    continue
                seen += 1
                p = deref(doc, prop)
                if p.get("writeOnly") is not True:
                    bad.append("%s > %s is not writeOnly" % (where, name))
                desc = (prop.get("description", "") + " " +
                        p.get("description", "")).lower()
                if name != "password" and "never returned" not in desc:
                    bad.append("%s > %s: description does not say it is "
                               "never returned" % (where, name))
            for k, v in node.items():
                walk(v, where + " > " + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s > %d" % (where, i))
    walk(doc.get("components", {}).get("schemas", {}), "components > schemas")
    if seen < 3:
        bad.append("only %d secret properties found" % seen)
    return bad


def cmd_ops(doc):
    """METHOD PATH ROLE per operation (role "-" when missing)."""
    for path, item, m, op in operations(doc):
        print("%s %s %s" % (m.upper(), path, op.get("x-role") or "-"))
    return []


def main():
    cmd, doc = sys.argv[1], load(sys.argv[2])
    if cmd == "validate":
        bad = cmd_validate(doc, sys.argv[3])
    else:
        bad = globals()["cmd_" + cmd](doc)
        for line in bad:
            print(line)
    sys.exit(1 if bad else 0)


main()
EOF

# ------------------------------------------------ tools and the document
if ! ok "Debian python3 with jsonschema" "$PY" -c 'import jsonschema.validators'; then
	diag "install python3 and python3-jsonschema (contrib/deps.sh)"
fi
if [ -r "$OAS_SCHEMA" ]; then
	pass "OpenAPI 3.0 JSON schema present"
else
	fail "OpenAPI 3.0 JSON schema present"
	diag "missing $OAS_SCHEMA: install openapi-specification (contrib/deps.sh)"
fi
ok "doc/openapi.json is JSON" "$PY" -m json.tool "$DOC"

# ------------------------------------------------------- schema validity
if "$PY" "$T/oas.py" validate "$DOC" "$OAS_SCHEMA" > "$T/validate.out" 2>&1; then
	pass "doc/openapi.json validates against the OpenAPI 3.0 schema"
	[ -z "${T_VERBOSE-}" ] || diag < "$T/validate.out"
else
	fail "doc/openapi.json validates against the OpenAPI 3.0 schema"
	head -n 200 "$T/validate.out" | diag
fi

# ------------------------------------------------------------- semantics
ok "global: openapi 3.0.3, server /api/v1, bearerAuth/apiKeyHeader, errors" \
	"$PY" "$T/oas.py" global "$DOC"
ok "every \$ref resolves and stands alone" "$PY" "$T/oas.py" refs "$DOC"
ok "every path parameter is declared in: path, required: true" \
	"$PY" "$T/oas.py" pathparams "$DOC"
ok "every operation: x-role, operationId, summary, 401, Error bodies" \
	"$PY" "$T/oas.py" operations "$DOC"
ok "secrets are writeOnly and never returned" "$PY" "$T/oas.py" secrets "$DOC"

# -------------------------------------------- documented vs implemented
"$PY" "$T/oas.py" ops "$DOC" > "$T/doc.ops" 2> "$T/doc.err" || true
if [ -s "$T/doc.ops" ]; then
	pass "the document lists operations ($(wc -l < "$T/doc.ops"))"
else
	fail "the document lists operations"
	diag_file "$T/doc.err"
fi

rc=0
"$CMPCTL" routes > "$T/routes.out" 2> "$T/routes.err" || rc=$?
if [ "$rc" = 0 ] && [ -s "$T/routes.out" ]; then
	pass "cmpctl routes lists the routes ($(wc -l < "$T/routes.out"))"
else
	# Nothing to compare: that must not pass quietly.
	fail "cmpctl routes lists the routes"
	diag "  $CMPCTL routes: exit status $rc, $(wc -l < "$T/routes.out") lines"
	diag_file "$T/routes.err" 20
fi

# "METHOD /api/v1/PATH ROLE" lines into "METHOD PATH" -> ROLE
declare -A route_role doc_role
route_re='^(GET|POST|PUT|PATCH|DELETE) /api/v1(/[^ ]*) (read|admin)$'
bad_lines=0
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%$'\r'}
	[ -n "$line" ] || continue
	if [[ $line =~ $route_re ]]; then
		route_role["${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"]=${BASH_REMATCH[3]}
	else
		bad_lines=$((bad_lines + 1))
		diag "  unexpected cmpctl routes line: '$line'"
	fi
done < "$T/routes.out"
is "$bad_lines" 0 "every cmpctl routes line is METHOD /api/v1/PATH ROLE"

while read -r m p r; do
	doc_role["$m $p"]=$r
done < "$T/doc.ops"

# A path with its parameter names blanked, to say what almost matched.
_shape() { printf '%s\n' "$1" | sed -E 's/\{[^}]*\}/{}/g'; }
_near() {
	local want key
	want=$(_shape "$1")
	shift
	for key in "$@"; do
		[ "$(_shape "$key")" = "$want" ] && diag "  (parameter names differ: '$key')"
	done
	return 0
}

# One test per implemented route, in cmpctl's order.
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%$'\r'}
	[[ $line =~ $route_re ]] || continue
	key="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
	role=${BASH_REMATCH[3]}
	if [ -z "${doc_role[$key]+set}" ]; then
		fail "route $key ($role) is documented"
		_near "$key" "${!doc_role[@]}"
	else
		is "${doc_role[$key]}" "$role" "route $key ($role) is documented with x-role $role"
	fi
done < "$T/routes.out"

# One test per documented operation, in the document's order.
while read -r m p r; do
	key="$m $p"
	if [ -n "${route_role[$key]+set}" ]; then
		pass "operation $key is implemented"
	else
		fail "operation $key is implemented"
		_near "$key" "${!route_role[@]}"
	fi
done < "$T/doc.ops"

done_testing
