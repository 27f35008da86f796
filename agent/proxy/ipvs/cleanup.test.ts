import t from 'tap';
import { cleanupOtherModes } from '../cleanup.js';
import type { Exec } from '../types.js';
import { cleanupLeftovers, parseIpvsadmSave } from './cleanup.js';

/** A node IPVS mode ran on: answers per command line; records every call. */
function ipvsNode(over: Record<string, string | undefined> = {}) {
  const calls: { cmd: string; input?: string }[] = [];
  const answers: Record<string, string | undefined> = {
    'ipset save': 'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 comment\nadd KUBE-CLUSTER-IP 10.96.0.50,tcp:80\ncreate KUBE-NODE-PORT-TCP bitmap:port range 0-65535 comment\nadd KUBE-NODE-PORT-TCP 30080\ncreate KUBE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536 comment\nadd KUBE-IPVS-IPS 10.96.0.50\ncreate other-set hash:ip family inet\n',
    'ip -o -4 addr show dev kube-ipvs0': '5: kube-ipvs0    inet 10.96.0.50/32 scope global kube-ipvs0\\       valid_lft forever preferred_lft forever\n',
    'cat /proc/net/ip_vs': 'IP Virtual Server version 1.2.1\n',
    'ipvsadm -S -n': '-A -t 10.96.0.50:80 -s rr\n-a -t 10.96.0.50:80 -r 10.244.1.5:8080 -m -w 1\n-A -t 192.168.56.11:30080 -s rr\n-A -t 172.16.0.9:443 -s wlc\n-A -u 192.168.56.11:30080 -s rr\n',
    'iptables-save -t nat': '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]\nCOMMIT\n',
    'iptables-save -t filter': '*filter\n:KUBE-FORWARD - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-IPVS-FILTER - [0:0]\nCOMMIT\n',
    ...over,
  };
  const exec: Exec = async (file, args, opts) => {
    const cmd = [file, ...args].join(' ');
    calls.push({ cmd, input: opts?.input });
    if (file === 'iptables' && args.includes('-C')) return { exitCode: 1, stdout: '', stderr: 'Bad rule' };
    if (cmd in answers) {
      const out = answers[cmd];
      return out === undefined ? { exitCode: 1, stdout: '', stderr: 'not there' } : { exitCode: 0, stdout: out, stderr: '' };
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  };
  return { exec, calls };
}

t.test('ipvsadm -S lines name their virtual servers', async (t) => {
  t.same(parseIpvsadmSave('-A -t 10.96.0.1:443 -s rr -p 10800\n-a -t 10.96.0.1:443 -r 10.0.0.1:6443 -m -w 1\n-A -u 10.96.0.10:53 -s rr\n'), [
    { protocol: 'TCP', address: '10.96.0.1', port: 443, flag: '-t' },
    { protocol: 'UDP', address: '10.96.0.10', port: 53, flag: '-u' },
  ]);
});

t.test('IPVS leftovers: its virtual servers (not others), kube-ipvs0, its chains, then its sets', async (t) => {
  const { exec, calls } = ipvsNode();
  await cleanupLeftovers(exec);
  const restoreIpvs = calls.find((c) => c.cmd === 'ipvsadm -R');
  t.equal(restoreIpvs?.input, '-D -t 10.96.0.50:80\n-D -t 192.168.56.11:30080\n', 'the ClusterIP and the TCP NodePort; not a foreign one, not a UDP port it never had');
  t.ok(calls.some((c) => c.cmd === 'ip link delete kube-ipvs0'));
  const restores = calls.filter((c) => c.cmd === 'iptables-restore -w --noflush').map((c) => c.input);
  t.same(restores, [
    '*nat\n:KUBE-LOAD-BALANCER - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n:KUBE-NODE-PORT - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-SERVICES - [0:0]\n-X KUBE-LOAD-BALANCER\n-X KUBE-NODE-PORT\nCOMMIT\n',
    '*filter\n:KUBE-FORWARD - [0:0]\n:KUBE-IPVS-FILTER - [0:0]\n:KUBE-NODE-PORT - [0:0]\n-X KUBE-IPVS-FILTER\n-X KUBE-NODE-PORT\nCOMMIT\n',
  ], 'chains shared with the iptables mode are flushed, the others deleted');
  t.same(calls.filter((c) => c.cmd.startsWith('ipset destroy')).map((c) => c.cmd), ['ipset destroy KUBE-CLUSTER-IP', 'ipset destroy KUBE-NODE-PORT-TCP', 'ipset destroy KUBE-IPVS-IPS'], 'only its own sets, after the rules');
  const order = (cmd: string) => calls.findIndex((c) => c.cmd.startsWith(cmd));
  t.ok(order('iptables-restore') < order('ipset destroy'));
});

t.test('a node without IPVS leftovers is left alone; without ip_vs loaded, ipvsadm is not run', async (t) => {
  const clean = ipvsNode({ 'ipset save': '', 'ip -o -4 addr show dev kube-ipvs0': undefined, 'iptables-save -t filter': '*filter\nCOMMIT\n' });
  await cleanupLeftovers(clean.exec);
  t.same(clean.calls.map((c) => c.cmd), ['ipset save', 'ip -o -4 addr show dev kube-ipvs0', 'iptables-save -t filter']);
  const noModule = ipvsNode({ 'cat /proc/net/ip_vs': undefined });
  await cleanupLeftovers(noModule.exec);
  t.notOk(noModule.calls.some((c) => c.cmd.startsWith('ipvsadm')));
});

t.test('IPVS mode removes the iptables mode\'s chains only when that mode left some', async (t) => {
  const restart = ipvsNode();
  await cleanupOtherModes('ipvs', restart.exec);
  t.notOk(restart.calls.some((c) => c.cmd.startsWith('iptables-restore') || c.cmd.includes(' -D ')), 'a restart in IPVS mode keeps its own rules');
  const switched = ipvsNode({ 'iptables-save -t nat': '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]\nCOMMIT\n' });
  await cleanupOtherModes('ipvs', switched.exec);
  t.ok(switched.calls.some((c) => c.cmd.startsWith('iptables-restore') && /-X KUBE-SVC-NPX46M4PTMTKRN6Y/.test(c.input ?? '')), 'after the iptables mode, its chains go');
});
