id "$LOCALCA_USER" > /dev/null 2>&1 ||
	useradd --system --home /nonexistent --shell /usr/sbin/nologin "$LOCALCA_USER"
install -d -o "$LOCALCA_USER" -g "$(id -gn "$WEB_USER")" -m 0750 "$LOCALCA_RUN"
install -d -o "$LOCALCA_USER" -g "$(id -gn "$LOCALCA_USER")" -m 0755 "$LOCALCA_LOG"
mariadb -S "$DB_SOCKET" -e "CREATE DATABASE cmp_localca;
  CREATE USER '$LOCALCA_USER'@localhost IDENTIFIED VIA unix_socket;
  GRANT ALL ON cmp_localca.* TO '$LOCALCA_USER'@localhost"
(umask 077 && openssl rand -hex 24 > "$ETC/cmp-localca.password")
cat > "$ETC/cmp-localca.conf" <<EOF
listen = $LOCALCA_RUN/cmp-localca.sock
listen_mode = 0660
listen_group = $(id -gn "$WEB_USER")
user = $LOCALCA_USER
pid_file = $LOCALCA_RUN/cmp-localca.pid
log_file = $LOCALCA_LOG/cmp-localca.log
ca_dir = $CA_DIR
db_socket = $DB_SOCKET
db_user = $LOCALCA_USER
db_name = cmp_localca
auth_user = cmpd
auth_password_file = $ETC/cmp-localca.password
EOF
install -d -m 0755 "$(dirname "$CA_DIR")"
cmp-localca --init-ca --subject "/O=Example/CN=Example Device CA"
cmp-localca -n && cmp-localca
