openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$ETC/signer.key"
openssl cmp -cmd ir $CMP -path /api/v1/protocols/cmp/devices \
	-ref devices -secret file:"$ETC/devices.secret" \
	-newkey "$ETC/signer.key" -subject "/CN=cmpd" -certout "$ETC/signer.crt"
cat "$ETC/signer.crt" "$CA_DIR/ca.crt" > "$ETC/signer-chain.pem"
cmpctl profile create devices-sig raProfileUuid=devices-ra \
	--signing-key "$ETC/signer.key" --signing-chain "$ETC/signer-chain.pem" \
	--trust-anchors "$CA_DIR/ca.crt"
cmpctl profile enable devices-sig
openssl cmp -cmd rr $CMP -path /api/v1/protocols/cmp/devices-sig \
	-cert device.crt -key device.key -trusted "$CA_DIR/ca.crt" \
	-oldcert device.crt -revreason 1
cmpctl certificates subject=CN=device-1 | grep '"status": *"revoked"'
