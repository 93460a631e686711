cat > "$ETC/cmpd.conf" <<EOF
listen = $RUN/cmpd.sock
listen_mode = 0660
listen_group = $(id -gn "$WEB_USER")
user = $CMPD_USER
pid_file = $RUN/cmpd.pid
log_file = $LOG/cmpd.log
db_socket = $DB_SOCKET
db_password_file = $ETC/db.password
secret_key_file = $ETC/secret.key
EOF
chgrp "$CMPD_GROUP" "$ETC/cmpd.conf" && chmod 0640 "$ETC/cmpd.conf"
cmpctl key create "$ETC/secret.key"
chgrp "$CMPD_GROUP" "$ETC/secret.key" && chmod 0640 "$ETC/secret.key"
cmpd -n && cmpd --migrate
cmpd
cmpctl apikey create admin --role admin --out "$ETC/admin-api-key"
