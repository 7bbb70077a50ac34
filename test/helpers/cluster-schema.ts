// The two databases and their schemas, made with the server's own SQL tool (built by
// scripts/cluster/build-server.sh) from the schema files copied beside it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DATABASES } from './cluster-config';

const run = promisify(execFile);

export async function setUpSchemas(opts: { sqlTool: string; schemaDir: string; port: number; user: string }): Promise<void> {
  const setUp = async (database: string, versionedDir: string) => {
    const tool = async (...args: string[]) => {
      const all = ['--ep', '127.0.0.1', '-p', String(opts.port), '-u', opts.user, '--pl', 'postgres12', '--db', database, ...args];
      try {
        await run(opts.sqlTool, all);
      } catch (err) {
        const out = (err as { stderr?: string; stdout?: string }).stderr || (err as { stdout?: string }).stdout || (err as Error).message;
        throw new Error(`temporal-sql-tool ${all.join(' ')} failed: ${out.trim()}`);
      }
    };
    await tool('create-database');
    await tool('setup-schema', '-v', '0.0');
    await tool('update-schema', '-d', versionedDir);
  };
  await Promise.all([
    setUp(DATABASES.default, join(opts.schemaDir, 'postgresql', 'v12', 'temporal', 'versioned')),
    setUp(DATABASES.visibility, join(opts.schemaDir, 'postgresql', 'v12', 'visibility', 'versioned')),
  ]);
}
