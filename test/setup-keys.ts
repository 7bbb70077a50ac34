// The tests act as the people of the sample plans, whose prod profile signs every decision:
// requests made through the client helpers are signed with the committed demo keys.
import { join } from 'node:path';
import { KEYRING_ENV } from '../client/keys';

process.env[KEYRING_ENV] ??= join(__dirname, '..', 'plans', 'keys');
