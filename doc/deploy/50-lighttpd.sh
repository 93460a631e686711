install -d -m 0755 "$RUN/www"
install -d -o "$WEB_USER" -m 0750 "$LOG/lighttpd"
cat > "$ETC/lighttpd.conf" <<EOF
server.bind = "$HTTP_ADDR"
server.port = $HTTP_PORT
server.username = "$WEB_USER"
server.groupname = "$(id -gn "$WEB_USER")"
server.document-root = "$RUN/www"
server.pid-file = "$RUN/lighttpd.pid"
server.errorlog = "$LOG/lighttpd/error.log"
var.cmpd_socket = "$RUN/cmpd.sock"
include "$PREFIX/share/doc/cmpd/contrib/lighttpd/cmpd.conf"
EOF
cat > "$ETC/lighttpd-localca.conf" <<EOF
server.username = "$WEB_USER"
server.groupname = "$(id -gn "$WEB_USER")"
server.document-root = "$RUN/www"
server.pid-file = "$RUN/lighttpd-localca.pid"
server.errorlog = "$LOG/lighttpd/localca-error.log"
var.cmp_localca_socket = "$LOCALCA_RUN/cmp-localca.sock"
var.cmp_localca_port = $LOCALCA_PORT
include "$PREFIX/share/doc/cmpd/contrib/lighttpd/cmp-localca.conf"
EOF
lighttpd -f "$ETC/lighttpd.conf" && lighttpd -f "$ETC/lighttpd-localca.conf"
