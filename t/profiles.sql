-- Profiles for the tests: one of each state the profile checks know.
INSERT INTO connector (uuid, name, url) VALUES
  ('00000000-0000-4000-8000-0000000000c1', 'test-connector', 'http://127.0.0.1:9/');
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-0000000000a1', 'test-authority',
   '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-000000000001', 'ra-on', 1, '00000000-0000-4000-8000-0000000000a1'),
  ('00000000-0000-4000-8000-000000000002', 'ra-off', 0, '00000000-0000-4000-8000-0000000000a1'),
  ('00000000-0000-4000-8000-000000000003', 'ra-nocmp', 1, '00000000-0000-4000-8000-0000000000a1'),
  ('00000000-0000-4000-8000-000000000004', 'ra-cmpoff', 1, '00000000-0000-4000-8000-0000000000a1'),
  ('00000000-0000-4000-8000-000000000005', 'ra-sig', 1, '00000000-0000-4000-8000-0000000000a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, signing_certificate, signing_chain) VALUES
  ('00000000-0000-4000-8000-000000000101', 'demo', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-000000000001', NULL, NULL),
  ('00000000-0000-4000-8000-000000000102', 'cmp-off', 0, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-000000000001', NULL, NULL),
  ('00000000-0000-4000-8000-000000000103', 'cmp-nora', 1, 'sharedSecret', 'sharedSecret',
   NULL, NULL, NULL),
  ('00000000-0000-4000-8000-000000000104', 'cmp-raoff', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-000000000002', NULL, NULL),
  ('00000000-0000-4000-8000-000000000105', 'cmp-sig-nocert', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-000000000001', NULL, NULL),
  ('00000000-0000-4000-8000-000000000106', 'cmp-sig-nochain', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-000000000001', 'x', NULL),
  ('00000000-0000-4000-8000-000000000107', 'cmp-sig', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-000000000001', 'x', 'y');
UPDATE ra_profile SET cmp_profile_uuid = '00000000-0000-4000-8000-000000000101'
  WHERE name IN ('ra-on', 'ra-off');
UPDATE ra_profile SET cmp_profile_uuid = '00000000-0000-4000-8000-000000000102'
  WHERE name = 'ra-cmpoff';
UPDATE ra_profile SET cmp_profile_uuid = '00000000-0000-4000-8000-000000000107'
  WHERE name = 'ra-sig';
