id "$CMPD_USER" > /dev/null 2>&1 ||
	useradd --system --home /nonexistent --shell /usr/sbin/nologin "$CMPD_USER"
CMPD_GROUP=$(id -gn "$CMPD_USER")
install -d -o root -g "$CMPD_GROUP" -m 0750 "$ETC"
install -d -o "$CMPD_USER" -g "$(id -gn "$WEB_USER")" -m 0750 "$RUN"
install -d -o "$CMPD_USER" -g "$CMPD_GROUP" -m 0755 "$LOG"
install -m 0640 -g "$CMPD_GROUP" /dev/null "$ETC/db.password"
openssl rand -hex 16 > "$ETC/db.password"
# the SQL on stdin: a command line is every local user's to read
mariadb -S "$DB_SOCKET" <<EOF
CREATE DATABASE cmpd;
CREATE USER cmpd@localhost IDENTIFIED BY '$(cat "$ETC/db.password")';
GRANT ALL ON cmpd.* TO cmpd@localhost;
EOF
