// `release-watch setup`: a namespace made ready for watches: its search attributes (service, release,
// phase, health, open incidents) registered, once; running it again changes nothing. On Temporal Cloud
// the namespace's search attributes are managed by the account: the exact commands are printed instead.
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { Refused } from './errors';

const TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
};
const TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int' };

export interface SetupResult {
  namespace: string;
  createdNamespace: boolean;
  added: string[];
  present: string[];
}

/** Temporal Cloud's addresses: `<namespace>.<account>.tmprl.cloud:7233` and the regional API endpoints. */
export function isTemporalCloud(address: string): boolean {
  return /\.tmprl\.cloud(:\d+)?$/.test(address) || /\.api\.temporal\.io(:\d+)?$/.test(address);
}

/** What to run for a Temporal Cloud namespace (its operator may add search attributes; a namespace key may not). */
export function cloudSteps(namespace: string): string {
  const flags = SEARCH_ATTRIBUTES.map((k) => `--search-attribute "${k.name}=${TYPE_NAMES[k.type]}"`).join(' \\\n    ');
  return [
    `Temporal Cloud: add release-watch's search attributes to ${namespace} once, as an account or namespace admin:`,
    `  tcld namespace search-attributes add --namespace ${namespace} \\`,
    `    ${flags}`,
    'or in the Cloud UI: Namespaces → ' + namespace + ' → Custom Search Attributes → add each:',
    ...SEARCH_ATTRIBUTES.map((k) => `  ${k.name}  ${TYPE_NAMES[k.type]}`),
    'then check with: release-watch setup --check',
  ].join('\n');
}

/** Registers what is missing; refuses (naming it) a search attribute of the same name but another type. */
export async function setupNamespace(
  client: Client,
  namespace: string,
  o: { createNamespace?: boolean; retentionDays?: number; checkOnly?: boolean } = {},
): Promise<SetupResult> {
  const service = client.workflowService;
  let createdNamespace = false;
  try {
    await service.describeNamespace({ namespace });
  } catch (err) {
    if ((err as { code?: number }).code !== 5) throw err;
    if (!o.createNamespace || o.checkOnly) {
      throw new Refused(
        `namespace "${namespace}" does not exist: add --create-namespace, or create it with \`temporal operator namespace create --namespace ${namespace}\``,
      );
    }
    await service.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${o.retentionDays ?? 7}d`) });
    createdNamespace = true;
  }
  const existing = await listCustom(client, namespace, createdNamespace);
  const present: string[] = [];
  const missing: typeof SEARCH_ATTRIBUTES = [];
  for (const key of SEARCH_ATTRIBUTES) {
    const type = existing[key.name];
    if (type === undefined) missing.push(key);
    else if (type !== TYPES[key.type]) {
      throw new Refused(
        `search attribute ${key.name} exists in "${namespace}" with another type (${temporal.api.enums.v1.IndexedValueType[type]}); release-watch needs ${TYPE_NAMES[key.type]}`,
      );
    } else present.push(key.name);
  }
  if (missing.length && o.checkOnly)
    throw new Refused(
      `namespace "${namespace}" lacks release-watch's search attributes ${missing.map((k) => k.name).join(', ')}: run \`release-watch setup\``,
    );
  if (missing.length) {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, TYPES[k.type]])),
    });
  }
  return { namespace, createdNamespace, added: missing.map((k) => k.name), present };
}

/** The namespace's custom search attributes; a namespace just registered may take a moment to be found. */
async function listCustom(client: Client, namespace: string, fresh: boolean): Promise<Record<string, number>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await client.connection.operatorService.listSearchAttributes({ namespace });
      return Object.fromEntries(Object.entries(res.customAttributes ?? {}).map(([k, v]) => [k, Number(v)]));
    } catch (err) {
      if (!fresh || attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
