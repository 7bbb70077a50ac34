// What the CLI and the endpoints tell apart cheaply, without loading the Temporal client: refusals
// (exit 2), key problems, and where signing keys are found.

/** Refused by the watch or by the CLI (bad or unauthorised input): the CLI exits 2 with the reason. */
export class Refused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Refused';
  }
}

/** A signing key that cannot be found or read. */
export class KeyError extends Error {}

/** A hex secret key itself (for bots and CI). */
export const KEY_ENV = 'RELEASE_WATCH_KEY';
/** A file holding one secret key. */
export const KEY_FILE_ENV = 'RELEASE_WATCH_KEY_FILE';
/** A folder of `<person>.key` files (a team's shared demo keys, a test's keyring). */
export const KEYRING_ENV = 'RELEASE_WATCH_KEYS';
