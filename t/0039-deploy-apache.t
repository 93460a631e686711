#!/bin/sh
# t/0039-deploy.t again, with Apache 2.4 (doc/deploy/50-apache.sh: the
# installed contrib/apache/cmpd.conf and cmp-localca.conf) in front of
# cmpd and cmp-localca instead of lighttpd.
DEPLOY_WEB=apache
export DEPLOY_WEB
. "$top_srcdir/t/0039-deploy.t"
