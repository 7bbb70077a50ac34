import type { Release } from '../../core/messages';
import { resolveArgv, resolveDeep, resolveText, VarError, type PlanVars } from '../../core/vars';

const vars: PlanVars = {
  home: { default: '/srv/symphony', env: 'SYMPHONY_HOME' },
  logsDir: { default: 'logs' },
  just: { default: ['just'], env: 'JUST_CLI' },
  symphony: { default: ['python3', 'tools/symphony.py'], env: 'SYMPHONY_CLI' },
};
const release: Release = { service: 'symphony', version: 'v1.0', commit: 'a1b2c3d4e5f6', deployedAt: '2025-01-01T00:00:00Z' };

describe('resolveArgv', () => {
  it('expands a list var standing alone into several items', () => {
    expect(resolveArgv(['${symphony}', 'policy', 'show'], vars, {}, release)).toEqual(['python3', 'tools/symphony.py', 'policy', 'show']);
  });

  it('joins a list var inside a larger item with spaces', () => {
    expect(resolveArgv(['--cmd=${symphony}'], vars, {}, release)).toEqual(['--cmd=python3 tools/symphony.py']);
  });

  it('takes a var from its environment variable when set, splitting a list on whitespace', () => {
    const env = { SYMPHONY_CLI: '  /opt/venv/bin/python   /opt/symphony/cli.py ', SYMPHONY_HOME: '/home/me/symphony' };
    expect(resolveArgv(['${symphony}', 'status'], vars, env, release)).toEqual(['/opt/venv/bin/python', '/opt/symphony/cli.py', 'status']);
    expect(resolveText('${home}/x', vars, env, release)).toBe('/home/me/symphony/x');
  });

  it('falls back to the default when the environment variable is unset or empty', () => {
    expect(resolveArgv(['${just}'], vars, { JUST_CLI: '' }, release)).toEqual(['just']);
    expect(resolveText('${home}', vars, {}, release)).toBe('/srv/symphony');
  });

  it('keeps a string var with spaces as one item', () => {
    const spaced: PlanVars = { dir: { default: '/path with spaces' } };
    expect(resolveArgv(['ls', '${dir}'], spaced, {}, release)).toEqual(['ls', '/path with spaces']);
  });

  it('puts checked release fields into argv', () => {
    expect(resolveArgv(['git', 'revert', '-m', '1', '${release.commit}'], vars, {}, release)).toEqual([
      'git',
      'revert',
      '-m',
      '1',
      'a1b2c3d4e5f6',
    ]);
    expect(resolveText('${release.service}@${release.version}', vars, {}, release)).toBe('symphony@v1.0');
  });
});

describe('release fields are checked before they reach a command', () => {
  it.each([
    ['commit', 'HEAD; rm -rf /', 'release.commit "HEAD; rm -rf /" is not a hex commit SHA'],
    ['commit', 'abc12', 'is not a hex commit SHA of 7 to 40 characters'],
    ['commit', 'a'.repeat(41), 'is not a hex commit SHA'],
    ['version', '--upload-pack=evil', 'release.version "--upload-pack=evil" is not a plain tag'],
    ['version', 'v1.0 && curl x', 'is not a plain tag'],
    ['version', `v${'1'.repeat(64)}`, 'is not a plain tag'],
    ['service', 'Symphony', 'release.service "Symphony" is not lower-case letters, digits and dashes'],
    ['service', '-x', 'is not lower-case'],
  ])('refuses release.%s = %j', (field, value, message) => {
    const bad = { ...release, [field]: value };
    expect(() => resolveArgv([`\${release.${field}}`], vars, {}, bad)).toThrow(message);
    expect(() => resolveText(`x \${release.${field}} y`, vars, {}, bad)).toThrow(VarError);
  });

  it('accepts full SHAs and plain tags', () => {
    const ok = { ...release, commit: 'ABCDEF0123456789abcdef0123456789abcdef01', version: '2025.01.07-rc_1' };
    expect(resolveText('${release.commit} ${release.version}', vars, {}, ok)).toBe(
      'ABCDEF0123456789abcdef0123456789abcdef01 2025.01.07-rc_1',
    );
  });

  it('says when the release has no commit', () => {
    const { commit: _commit, ...noCommit } = release;
    expect(() => resolveArgv(['${release.commit}'], vars, {}, noCommit)).toThrow('release.commit is not known for this release');
  });

  it('refuses an unknown release field', () => {
    expect(() => resolveText('${release.deployedAt}', vars, {}, release)).toThrow('unknown var "${release.deployedAt}"');
  });

  it('checks only the fields that are used', () => {
    const bad = { ...release, version: 'not ok!' };
    expect(resolveText('${release.commit}', vars, {}, bad)).toBe('a1b2c3d4e5f6');
  });
});

describe('unknown vars', () => {
  it('names the unknown var', () => {
    expect(() => resolveArgv(['${nope}'], vars, {}, release)).toThrow('unknown var "${nope}"');
    expect(() => resolveText('${logsDir}/${missing}.log', vars, {}, release)).toThrow('unknown var "${missing}"');
    expect(() => resolveText('${toString}', vars, {}, release)).toThrow('unknown var "${toString}"');
  });

  it('leaves text without references alone', () => {
    expect(resolveText('plain $HOME and {braces}', vars, {}, release)).toBe('plain $HOME and {braces}');
  });
});

describe('resolveDeep', () => {
  it('resolves every string in a JSON-like value', () => {
    expect(resolveDeep({ peer: '${release.service}', n: 1, list: ['${logsDir}', true] }, vars, {}, release)).toEqual({
      peer: 'symphony',
      n: 1,
      list: ['logs', true],
    });
  });
});
