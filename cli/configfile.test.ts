import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, readConfigFile, renderConfig, withConfigFile, type Options } from './configfile.js';

const options: Options = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'disable-controllers': { type: 'boolean' },
  'tls-san': { type: 'string', multiple: true },
};

t.test('keys are flag names; values take the flags\' types', async (t) => {
  const v = parseConfig('data-dir: /var/lib/kubets/server\nport: 6443\ndisable-controllers: true\ntls-san: [a.example, 10.0.0.1]\n', options, 'server.yaml');
  t.same(v, { 'data-dir': '/var/lib/kubets/server', port: '6443', 'disable-controllers': true, 'tls-san': ['a.example', '10.0.0.1'] }, 'numbers become the strings a flag would give');
  t.same(parseConfig('tls-san: one.example\n', options, 'f'), { 'tls-san': ['one.example'] }, 'one value for a repeatable flag');
  t.same(parseConfig('', options, 'f'), {}, 'an empty file sets nothing');
  t.same(parseConfig('port:\n', options, 'f'), {}, 'a key without a value sets nothing');
});

t.test('mistakes name the file and the key', async (t) => {
  const cases: [string, RegExp][] = [
    ['bind-adress: 1.2.3.4\n', /^f\.yaml: unknown key "bind-adress"$/],
    ['config: other.yaml\n', /unknown key "config"/],
    ['disable-controllers: yes please\n', /"disable-controllers" must be true or false/],
    ['port: [1, 2]\n', /"port" takes one value, not a list/],
    ['data-dir: {a: 1}\n', /"data-dir" must be a string/],
    ['- a\n- b\n', /want a mapping of flag names to values/],
    ['port: : :\n', /^f\.yaml: not valid YAML/],
  ];
  for (const [text, want] of cases) t.throws(() => parseConfig(text, options, 'f.yaml'), { message: want, code: 'ERR_CONFIG_FILE' }, text.trim());
  t.throws(() => readConfigFile('/nonexistent/kubets.yaml', options), /cannot read config file \/nonexistent\/kubets\.yaml: ENOENT/);
});

t.test('the command line wins over the file, whole lists included', async (t) => {
  const file = { port: '6443', 'tls-san': ['a'], 'data-dir': '/d' };
  t.same(withConfigFile({ port: '7443', 'tls-san': ['b', 'c'], config: '/etc/x.yaml', 'data-dir': undefined }, file), { port: '7443', 'tls-san': ['b', 'c'], 'data-dir': '/d' });
});

t.test('a rendered file reads back as the same values, keys in flag order', async (t) => {
  const values = { port: '6443', 'tls-san': ['x.example'], 'data-dir': '/var/lib/kubets/server', 'disable-controllers': false };
  const text = renderConfig(values, options, ['kubets server settings', '']);
  t.match(text, /^# kubets server settings\n#\ndata-dir: \/var\/lib\/kubets\/server\nport: "6443"\n/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-config-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'server.yaml'), text);
  t.same(readConfigFile(path.join(dir, 'server.yaml'), options), values);
});
