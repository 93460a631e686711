CMP="-server 127.0.0.1:$HTTP_PORT -recipient /CN=cmpd"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out device.key
openssl cmp -cmd ir $CMP -path /api/v1/protocols/cmp/devices \
	-ref devices -secret file:"$ETC/devices.secret" \
	-newkey device.key -subject /CN=device-1 -certout device.crt
openssl verify -CAfile "$CA_DIR/ca.crt" device.crt
