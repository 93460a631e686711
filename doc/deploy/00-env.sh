# Where this deployment puts things. The values are a Debian host's;
# t/0039-deploy.t runs every block below with them pointing into a
# temporary directory, free ports and a private MariaDB.
PREFIX=${PREFIX:-/usr/local}            # programs, man pages, contrib/
ETC=${ETC:-/etc/cmpd}                   # configuration, keys, passwords
RUN=${RUN:-/run/cmpd}                   # sockets and pid files
LOG=${LOG:-/var/log/cmpd}               # log files
LOCALCA_RUN=${LOCALCA_RUN:-/run/cmp-localca}        # the demo CA's socket, pid file
LOCALCA_LOG=${LOCALCA_LOG:-/var/log/cmp-localca}    # and log file
CA_DIR=${CA_DIR:-/var/lib/cmp-localca/ca}           # the demo CA's files
DB_SOCKET=${DB_SOCKET:-/run/mysqld/mysqld.sock}     # MariaDB
HTTP_ADDR=${HTTP_ADDR:-0.0.0.0}         # where devices reach CMP
HTTP_PORT=${HTTP_PORT:-80}
LOCALCA_PORT=${LOCALCA_PORT:-8081}      # cmp-localca's API, on 127.0.0.1 only
CMPD_USER=${CMPD_USER:-cmpd}            # cmpd runs as this user
LOCALCA_USER=${LOCALCA_USER:-cmp-localca}   # the demo CA as this one
WEB_USER=${WEB_USER:-www-data}          # the web server's user
PATH=$PREFIX/sbin:$PREFIX/bin:$PATH
