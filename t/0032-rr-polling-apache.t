#!/bin/sh
# t/0032-rr-polling.t again, with Apache 2.4 (mod_proxy_fcgi, contrib/apache/cmpd.conf)
# in front of cmpd instead of lighttpd (t/lib.sh T_WEB).
T_WEB=apache
export T_WEB
. "$top_srcdir/t/0032-rr-polling.t"
