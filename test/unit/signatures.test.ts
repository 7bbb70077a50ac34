// Signed approvals without a server: what is signed, what verifies, what is refused, where keys come from.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSecretKey, generateKeyPair, KeyError, readKeyFile, signIfKeyed, signRequest, writeKeyFile } from '../../client/keys';
import type { Decide } from '../../core/messages';
import { canonicalJson, signatureError, signaturesRequired } from '../../core/signatures';
import type { Plan } from '../../plan/schema';
import { symphonyPlan } from '../helpers/plans';

const KEYS = join(__dirname, '..', '..', 'plans', 'keys');
const WATCH = 'watch-symphony-v1.0';
const captain = () => readKeyFile(join(KEYS, 'release-captain.key'));
const decision: Decide = { checkpoint: '12h', decision: 'continue', by: 'release-captain' };

let plan: Plan;
beforeAll(() => {
  plan = symphonyPlan();
});

test('a prod profile asks for signatures unless the plan turns them off; a dev profile only when asked', () => {
  expect(signaturesRequired({ profile: 'prod', signedApprovals: undefined })).toBe(true);
  expect(signaturesRequired({ profile: 'prod', signedApprovals: false })).toBe(false);
  expect(signaturesRequired({ profile: 'dev', signedApprovals: undefined })).toBe(false);
  expect(signaturesRequired({ profile: 'dev', signedApprovals: true })).toBe(true);
  expect(signaturesRequired(plan)).toBe(true);
});

test('canonical JSON sorts keys at every depth and leaves out undefined fields', () => {
  expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  expect(canonicalJson({ by: 'x', note: undefined })).toBe(canonicalJson({ by: 'x' }));
});

test("a request signed with its person's demo key verifies; the same request with its fields reordered too", () => {
  const signed = signRequest(WATCH, 'decide', decision, captain());
  expect(signed.signature!.nonce).toMatch(/^[0-9a-f]{32}$/);
  expect(signatureError(plan, [], WATCH, 'decide', signed)).toBeUndefined();
  const reordered = { by: signed.by, signature: signed.signature, decision: signed.decision, checkpoint: signed.checkpoint };
  expect(signatureError(plan, [], WATCH, 'decide', reordered)).toBeUndefined();
});

test('every way a signature can be wrong is refused, naming what is wrong', () => {
  const signed = signRequest(WATCH, 'decide', decision, captain());
  const verifyFails = /^signature does not verify with release-captain's public key/;
  expect(signatureError(plan, [], WATCH, 'decide', decision)).toBe(
    'this plan requires signed approvals: sign as release-captain with --key (make one with `release-watch keygen`)',
  );
  expect(signatureError(plan, [], 'watch-symphony-v2.0', 'decide', signed)).toMatch(verifyFails);
  expect(signatureError(plan, [], WATCH, 'ack', signed)).toMatch(verifyFails);
  expect(signatureError(plan, [], WATCH, 'decide', { ...signed, decision: 'rollback' } as Decide)).toMatch(verifyFails);
  expect(signatureError(plan, [], WATCH, 'decide', { ...signed, note: 'added later' } as Decide)).toMatch(verifyFails);
  const byOther = signRequest(WATCH, 'decide', decision, readKeyFile(join(KEYS, 'duty-engineer.key')));
  expect(signatureError(plan, [], WATCH, 'decide', byOther)).toMatch(verifyFails);
  expect(signatureError(plan, [signed.signature!.nonce], WATCH, 'decide', signed)).toBe(
    `signature nonce ${signed.signature!.nonce} was already used: a replayed request is refused`,
  );
  expect(signatureError(plan, [], WATCH, 'decide', { ...decision, signature: { nonce: 'ab', sig: signed.signature!.sig } })).toBe(
    'signature nonce must be 16 bytes in hex',
  );
  expect(signatureError(plan, [], WATCH, 'decide', { ...decision, signature: { nonce: signed.signature!.nonce, sig: 'ZZ' } })).toBe(
    'signature must be 64 bytes in hex',
  );
  expect(signatureError(plan, [], WATCH, 'decide', { ...decision, signature: 'yes' as never })).toBe(
    'signature must be an object with nonce and sig',
  );
  const keyless = { ...plan, people: { ...plan.people, 'release-captain': { name: 'RC' } } };
  expect(signatureError(keyless, [], WATCH, 'decide', signed)).toBe(
    'release-captain has no public key in the plan, and this plan requires signed approvals',
  );
});

test('with signatures off, an unsigned request passes and a signature is not looked at', () => {
  const dev = { ...plan, profile: 'dev' as const, signedApprovals: undefined };
  expect(signatureError(dev, [], WATCH, 'decide', decision)).toBeUndefined();
});

describe('key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-keys-'));

  test('keygen writes a secret key only its owner can read, and never overwrites one', () => {
    const pair = generateKeyPair();
    const file = join(dir, 'alice.key');
    writeKeyFile(file, 'alice', pair);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(`public key (put it in the plan under people.alice.publicKey): ${pair.publicKey}`);
    expect(Buffer.from(readKeyFile(file)).toString('hex')).toBe(pair.secretKey);
    expect(() => writeKeyFile(file, 'alice', generateKeyPair())).toThrow(`${file} exists: not overwriting a key (choose another --out)`);
    expect(Buffer.from(readKeyFile(file)).toString('hex')).toBe(pair.secretKey);
  });

  test('a bad key file is refused with its path and what is wrong', () => {
    const two = join(dir, 'two.key');
    writeFileSync(two, 'aa\nbb\n');
    expect(() => readKeyFile(two)).toThrow(`${two}: expected one secret key line, found 2`);
    const short = join(dir, 'short.key');
    writeFileSync(short, '# comment\nabcd\n');
    expect(() => readKeyFile(short)).toThrow(`${short}: a secret key is 32 bytes in lowercase hex`);
    const locked = join(dir, 'locked.key');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    if (process.getuid?.() !== 0) expect(() => readKeyFile(locked)).toThrow(KeyError);
    expect(() => readKeyFile(join(dir, 'missing.key'))).toThrow(/^cannot read key file .*missing\.key/);
  });

  test('the key is found from --key, then $RELEASE_WATCH_KEY, $RELEASE_WATCH_KEY_FILE, then the keyring', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const fileA = join(dir, 'a.key');
    writeKeyFile(fileA, 'a', a);
    const hex = (k: Uint8Array | undefined) => (k ? Buffer.from(k).toString('hex') : undefined);
    expect(hex(findSecretKey('release-captain', { keyFile: fileA, env: { RELEASE_WATCH_KEY: b.secretKey } }))).toBe(a.secretKey);
    expect(hex(findSecretKey('release-captain', { env: { RELEASE_WATCH_KEY: b.secretKey, RELEASE_WATCH_KEYS: KEYS } }))).toBe(b.secretKey);
    expect(hex(findSecretKey('release-captain', { env: { RELEASE_WATCH_KEY_FILE: fileA, RELEASE_WATCH_KEYS: KEYS } }))).toBe(a.secretKey);
    expect(hex(findSecretKey('release-captain', { env: { RELEASE_WATCH_KEYS: KEYS } }))).toBe(hex(captain()));
    expect(findSecretKey('nobody-here', { env: { RELEASE_WATCH_KEYS: KEYS } })).toBeUndefined();
    expect(findSecretKey('../release-captain', { env: { RELEASE_WATCH_KEYS: join(KEYS, 'x') } })).toBeUndefined();
    expect(() => findSecretKey('x', { env: { RELEASE_WATCH_KEY: 'nope' } })).toThrow(
      '$RELEASE_WATCH_KEY: a secret key is 32 bytes in lowercase hex',
    );
  });

  test('signIfKeyed leaves malformed and already signed requests as they are', () => {
    const env = { RELEASE_WATCH_KEYS: KEYS };
    expect(signIfKeyed(WATCH, 'ack', null as never, { env })).toBeNull();
    const signed = signRequest(WATCH, 'decide', decision, captain());
    expect(signIfKeyed(WATCH, 'decide', signed, { env })).toBe(signed);
    expect(signIfKeyed(WATCH, 'decide', decision, { env: {} })).toBe(decision);
    expect(signatureError(plan, [], WATCH, 'decide', signIfKeyed(WATCH, 'decide', decision, { env }))).toBeUndefined();
  });
});

describe('relays: serve signs for people the plan lists under relays.<channel>', () => {
  const relay = generateKeyPair();
  const relayKey = () => Buffer.from(relay.secretKey, 'hex');
  const relayed = (req: Decide, channel: string, key: Uint8Array = relayKey()) => {
    const s = signRequest(WATCH, 'decide', req, key);
    return { ...s, signature: { ...s.signature!, relay: channel } };
  };
  const withRelay = (): Plan => ({ ...plan, relays: { slack: { publicKey: relay.publicKey, people: ['release-captain'] } } });

  test("a relay's signature for someone it answers for, marked with its channel, verifies; even with no key of their own", () => {
    const req = relayed({ ...decision, via: 'slack' }, 'slack');
    expect(signatureError(withRelay(), [], WATCH, 'decide', req)).toBeUndefined();
    const keyless = withRelay();
    keyless.people = { ...keyless.people, 'release-captain': { name: 'RC' } };
    expect(signatureError(keyless, [], WATCH, 'decide', req)).toBeUndefined();
  });

  test('every way a relayed answer can be wrong is refused, naming what is wrong', () => {
    const p = withRelay();
    const ok = relayed({ ...decision, via: 'slack' }, 'slack');
    expect(signatureError(plan, [], WATCH, 'decide', ok)).toBe('the plan trusts no relay "slack" (relays: none)');
    expect(signatureError(p, [], WATCH, 'decide', relayed({ ...decision, via: 'pagerduty' }, 'pagerduty'))).toBe(
      'the plan trusts no relay "pagerduty" (relays: slack)',
    );
    expect(signatureError(p, [], WATCH, 'decide', relayed({ ...decision, by: 'duty-engineer', via: 'slack' }, 'slack'))).toBe(
      'relay slack may not answer for duty-engineer (it answers for release-captain)',
    );
    expect(signatureError(p, [], WATCH, 'decide', relayed(decision, 'slack'))).toBe('an answer signed by relay slack must say via: slack');
    expect(signatureError(p, [], WATCH, 'decide', relayed({ ...decision, via: 'slack' }, 'slack', captain()))).toMatch(
      /^signature does not verify with relay slack's public key/,
    );
    // The channel is signed: changing it after the fact breaks the signature (and a mismatch is refused first).
    expect(signatureError(p, [], WATCH, 'decide', { ...ok, note: 'added' } as Decide)).toMatch(/^signature does not verify/);
    expect(signatureError(p, [ok.signature.nonce], WATCH, 'decide', ok)).toMatch(/was already used/);
    expect(signatureError(p, [], WATCH, 'decide', { ...ok, signature: { ...ok.signature, relay: 7 as never } })).toBe(
      "signature relay must be the name of one of the plan's relays",
    );
    expect(signatureError(p, [], WATCH, 'decide', { ...ok, signature: { ...ok.signature, relay: 'constructor' } })).toBe(
      'the plan trusts no relay "constructor" (relays: slack)',
    );
  });

  test('via names a known channel, signed plan or not', () => {
    const dev = { ...plan, profile: 'dev' as const, signedApprovals: undefined };
    expect(signatureError(dev, [], WATCH, 'decide', { ...decision, via: 'slack' })).toBeUndefined();
    expect(signatureError(dev, [], WATCH, 'decide', { ...decision, via: 'email' })).toBe(
      'via must be one of slack, pagerduty (where the answer came from), not "email"',
    );
    expect(signatureError(dev, [], WATCH, 'decide', { ...decision, via: 3 as never })).toBe(
      'via must be one of slack, pagerduty (where the answer came from), not 3',
    );
  });
});
