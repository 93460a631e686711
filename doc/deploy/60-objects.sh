(umask 077 && printf '{"username":"cmpd","password":"%s"}\n' \
	"$(cat "$ETC/cmp-localca.password")" > "$ETC/localca-cred.json")
cmpctl connector create name=localca url=http://127.0.0.1:$LOCALCA_PORT/localca \
	authType=basic insecure:=true credentials:=@"$ETC/localca-cred.json"
rm "$ETC/localca-cred.json"
cmpctl authority create name=localca connectorUuid=localca \
	authorityInstanceUuid=$(cat /proc/sys/kernel/random/uuid)
cmpctl raprofile create localca name=devices-ra enabled:=true
(umask 077 && openssl rand -hex 16 > "$ETC/devices.secret")
cmpctl profile create devices raProfileUuid=devices-ra \
	requestProtectionMethod=sharedSecret responseProtectionMethod=sharedSecret \
	sharedSecretReference=devices sharedSecret=@"$ETC/devices.secret"
cmpctl profile enable devices
