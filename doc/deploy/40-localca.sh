(umask 077 && openssl rand -hex 24 > "$ETC/cmp-localca.password")
cat > "$ETC/cmp-localca.conf" <<EOF
listen = $RUN/cmp-localca.sock
listen_mode = 0660
listen_group = $(id -gn "$WEB_USER")
user = $CMPD_USER
pid_file = $RUN/cmp-localca.pid
log_file = $LOG/cmp-localca.log
ca_dir = $CA_DIR
db_socket = $DB_SOCKET
db_password_file = $ETC/db.password
auth_user = cmpd
auth_password_file = $ETC/cmp-localca.password
EOF
install -d -m 0755 "$(dirname "$CA_DIR")"
cmp-localca --init-ca --subject "/O=Example/CN=Example Device CA"
cmp-localca -n && cmp-localca
