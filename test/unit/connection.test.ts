// Where Temporal is, read as the temporal CLI reads it: a profile of its config file, then TEMPORAL_*
// variables over it (TLS material and gRPC metadata included).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporalTarget, webUiLink } from '../../config/connection';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-conn-'));
  writeFileSync(
    join(dir, 'temporal.toml'),
    [
      '[profile.default]',
      'address = "localhost:7233"',
      '',
      '[profile.prod]',
      'address = "watches.a1b2c.tmprl.cloud:7233"',
      'namespace = "watches.a1b2c"',
      'api_key = "key-from-the-profile"',
      '[profile.prod.grpc_meta]',
      'x-team = "sre"',
      '',
      '[profile.mtls]',
      'address = "temporal.internal:7233"',
      'namespace = "release-watch"',
      '[profile.mtls.tls]',
      'server_name = "temporal.internal"',
      `client_cert_path = "${join(dir, 'client.pem')}"`,
      `client_key_path = "${join(dir, 'client.key')}"`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'client.pem'), 'CERT');
  writeFileSync(join(dir, 'client.key'), 'KEY');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = () => ({ TEMPORAL_CONFIG_FILE: join(dir, 'temporal.toml') });

test('nothing set: the local dev server and the default namespace', () => {
  expect(temporalTarget({ TEMPORAL_CONFIG_FILE: join(dir, 'none.toml') })).toEqual({
    address: 'localhost:7233',
    namespace: 'default',
    tls: undefined,
  });
});

test('a profile of the config file, with its API key (TLS on) and gRPC metadata', () => {
  expect(temporalTarget({ ...file(), TEMPORAL_PROFILE: 'prod' })).toEqual({
    address: 'watches.a1b2c.tmprl.cloud:7233',
    namespace: 'watches.a1b2c',
    tls: true,
    apiKey: 'key-from-the-profile',
    metadata: { 'x-team': 'sre' },
  });
});

test('a profile with client certificates and a server name', () => {
  const t = temporalTarget({ ...file(), TEMPORAL_PROFILE: 'mtls' });
  expect(t).toMatchObject({
    address: 'temporal.internal:7233',
    namespace: 'release-watch',
    tls: { serverNameOverride: 'temporal.internal' },
  });
  const pair = (t.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } }).clientCertPair!;
  expect([Buffer.from(pair.crt).toString(), Buffer.from(pair.key).toString()]).toEqual(['CERT', 'KEY']);
});

test('TEMPORAL_* variables override the profile', () => {
  expect(
    temporalTarget({ ...file(), TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other.a1b2c', TEMPORAL_GRPC_META_X_TEAM: 'platform' }),
  ).toMatchObject({
    namespace: 'other.a1b2c',
    metadata: { 'x-team': 'platform' },
  });
  expect(webUiLink({ address: '127.0.0.1:7233', namespace: 'default' }, 'watch-a/incident-1', {})).toBe(
    'http://127.0.0.1:8233/namespaces/default/workflows/watch-a%2Fincident-1',
  );
});
