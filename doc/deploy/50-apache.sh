install -d -m 0755 "$RUN/www" "$RUN/apache"
M=/usr/lib/apache2/modules
cat > "$ETC/apache.conf" <<EOF
ServerRoot "$RUN/apache"
ServerName localhost
Listen $HTTP_ADDR:$HTTP_PORT
User $WEB_USER
Group $(id -gn "$WEB_USER")
PidFile "$RUN/apache.pid"
ErrorLog "$LOG/apache-error.log"
DocumentRoot "$RUN/www"
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule authz_host_module $M/mod_authz_host.so
LoadModule proxy_module $M/mod_proxy.so
LoadModule proxy_fcgi_module $M/mod_proxy_fcgi.so
LoadModule env_module $M/mod_env.so
Define CMPD_SOCKET $RUN/cmpd.sock
Include "$PREFIX/share/doc/cmpd/contrib/apache/cmpd.conf"
Define CMP_LOCALCA_SOCKET $LOCALCA_RUN/cmp-localca.sock
Define CMP_LOCALCA_PORT $LOCALCA_PORT
Include "$PREFIX/share/doc/cmpd/contrib/apache/cmp-localca.conf"
EOF
apache2 -t -f "$ETC/apache.conf" && apache2 -f "$ETC/apache.conf" -k start
