#!/bin/sh
# t/0044-console.t again, with Apache 2.4 (contrib/apache/cmpd.conf: the
# console below /console/ with its Content-Security-Policy, mod_proxy_fcgi
# to cmpd) in front instead of lighttpd (t/lib.sh T_WEB).
T_WEB=apache
export T_WEB
. "$top_srcdir/t/0044-console.t"
