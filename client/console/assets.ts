// The console's page: one HTML shell, a stylesheet, and a script bundled with esbuild from web/app.ts
// when `serve` starts. The script imports core/signatures.ts itself, so the browser signs exactly the
// bytes the watch verifies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../../config/paths';

export interface Assets {
  js: string;
  css: string;
}

let built: Promise<Assets> | undefined;

export function consoleAssets(): Promise<Assets> {
  built ??= bundle().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

async function bundle(): Promise<Assets> {
  const web = join(projectRoot(), 'web');
  const out = await build({
    entryPoints: [join(web, 'app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return { js: out.outputFiles[0].text, css: readFileSync(join(web, 'style.css'), 'utf8') };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page every console URL serves; web/app.ts draws the board or a watch into it. */
export function shell(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="stylesheet" href="/assets/console.css">
<script defer src="/assets/console.js"></script>
</head>
<body>
<header class="top"><a href="/" class="brand">release-watch</a><span id="who"></span><form method="post" action="/logout" class="logout"><button type="submit">sign out</button></form></header>
<main id="app"><p class="muted">loading…</p></main>
</body>
</html>
`;
}

/** The login form: it posts the console token, and the answer sets an HttpOnly cookie. */
export function loginPage(next: string, error?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: release-watch console</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body>
<main class="login">
<h1>release-watch console</h1>
<form method="post" action="/login">
<input type="hidden" name="next" value="${escape(next)}">
<label for="token">Console token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
${error ? `<p class="refusal" role="alert">${escape(error)}</p>` : ''}
<button type="submit">Sign in</button>
</form>
<p class="muted">The token is the one <code>release-watch serve</code> was started with (RELEASE_WATCH_CONSOLE_TOKEN).</p>
</main>
</body>
</html>
`;
}
