import t from 'tap';
import { parseProxyConfigFile, proxyConfigFileText, proxyDefaults } from './config.js';

t.test('the ConfigMap text reads back as the config it was written from', async (t) => {
  const parsed = parseProxyConfigFile(proxyConfigFileText({ mode: 'nftables', clusterCIDR: '10.244.0.0/16', metricsBindAddress: '0.0.0.0:10249' }), 'config.conf');
  t.same(parsed, {
    mode: 'nftables',
    syncPeriodMs: 30_000,
    minSyncPeriodMs: 1_000,
    clusterCIDR: '10.244.0.0/16',
    metricsBindAddress: '0.0.0.0:10249',
    healthzBindAddress: '0.0.0.0:10256',
    kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf',
  });
});

t.test('sync periods come from the chosen mode\'s section, bindAddress only when specific', async (t) => {
  const text = ['kind: KubeProxyConfiguration', 'mode: ""', 'bindAddress: 192.168.56.11', 'hostnameOverride: worker1',
    'iptables:', '  syncPeriod: 1m30s', '  minSyncPeriod: 250ms', 'nftables:', '  syncPeriod: 5s'].join('\n');
  const parsed = parseProxyConfigFile(text, 'f');
  t.equal(parsed.mode, undefined, 'an empty mode is the default (iptables)');
  t.equal(parsed.syncPeriodMs, 90_000);
  t.equal(parsed.minSyncPeriodMs, 250);
  t.equal(parsed.bindAddress, '192.168.56.11');
  t.equal(parsed.nodeNameOverride, 'worker1');
  t.equal(parseProxyConfigFile('bindAddress: 0.0.0.0\n', 'f').bindAddress, undefined);
  t.same(parseProxyConfigFile('', 'f'), {}, 'an empty file sets nothing');
  t.equal(proxyDefaults.mode, 'iptables');
});

t.test('mistakes are refused with the file and the field named', async (t) => {
  t.throws(() => parseProxyConfigFile('mode: ipvz\n', '/etc/kp.conf'), /\/etc\/kp\.conf: mode "ipvz": want one of iptables/);
  t.throws(() => parseProxyConfigFile('mdoe: nftables\nfoo: 1\n', 'f'), /strict decoding error: unknown fields "mdoe", "foo"/);
  t.throws(() => parseProxyConfigFile('kind: KubeletConfiguration\n', 'f'), /kind "KubeletConfiguration", want KubeProxyConfiguration/);
  t.throws(() => parseProxyConfigFile('apiVersion: v1\n', 'f'), /apiVersion "v1"/);
  t.throws(() => parseProxyConfigFile('iptables:\n  syncPeriod: soon\n', 'f'), /iptables\.syncPeriod: /);
  t.throws(() => parseProxyConfigFile('clusterCIDR: 5\n', 'f'), /clusterCIDR must be a string/);
  t.throws(() => parseProxyConfigFile('a: [\n', 'f'), /f: not YAML/);
  t.throws(() => parseProxyConfigFile('- 1\n', 'f'), /want a KubeProxyConfiguration object/);
});
