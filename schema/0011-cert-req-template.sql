-- cmpd schema, version 11: a CMP Profile's certificate request template
-- (RFC 9483 4.3.3), the JSON the management API checked
-- ({subject, keyUsage, extendedKeyUsage, keySpec}); NULL: none, and a
-- genm for certReqTemplate is answered without a value.
ALTER TABLE cmp_profile ADD COLUMN IF NOT EXISTS cert_req_template TEXT NULL;
