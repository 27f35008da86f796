// `kubets doctor network` on a lab node: with the web Service running it finds nothing to report; a rule deleted by
// hand (in iptables mode one of the web Service's endpoint jumps, in nftables mode its service-ips element) is
// reported, and the full sync of a restarted kube-proxy puts it back (a partial sync rewrites only what changed in the
// API, as kube-proxy's does, so the rule stays missing until the next full sync: a restart or the hourly one).
import path from 'node:path';
import type { Test } from 'tap';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

export function doctorChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('kubets doctor network: nothing to report, then a rule deleted by hand is reported and restored by kube-proxy', async (t) => {
    const node = 'worker1';
    const mode = lab().proxyMode;
    const { kubectl, json } = labClient(lab());
    const doctor = () => lab().onNode(node, [lab().nodeBinary, path.join(lab().repoRoot, 'dist', 'cli', 'kubets.js'), 'doctor', 'network', '--kubeconfig', lab().kubeconfig]);
    const clean = await until('the doctor finds nothing on worker1', async () => {
      const r = await doctor();
      return r.exitCode === 0 && r;
    });
    t.equal(clean.stdout, '', 'no differences');
    const overlay = lab().podNetwork === 'vxlan' ? ' \\(vxlan: with their neighbour and FDB entries\\)' : '';
    t.match(clean.stderr, new RegExp(`node worker1, ${mode} mode: \\d+ service ports, 3 peer routes checked${overlay}; no differences`));

    let restored: () => Promise<boolean>;
    if (mode === 'iptables') {
      const save = await lab().onNode(node, ['iptables-save', '-t', 'nat']);
      const jump = save.stdout.split('\n').find((l) => /^-A KUBE-SVC-\S+ .*default\/web.* -j KUBE-SEP-/.test(l));
      t.ok(jump, 'a jump from the web Service\'s chain to one of its endpoints');
      const del = await lab().onNode(node, ['sh', '-c', `iptables -t nat ${jump!.replace(/^-A /, '-D ')}`]);
      t.equal(del.exitCode, 0, del.stderr);
      const r = await doctor();
      t.equal(r.exitCode, 1, 'a difference: exit status 1');
      t.match(r.stdout, /^missing endpoint default\/web\S* \([\d.]+:80\/TCP\) -> [\d.]+:\d+: no jump from KUBE-SVC-\S+ to KUBE-SEP-\S+$/m);
      restored = async () => (await lab().onNode(node, ['iptables-save', '-t', 'nat'])).stdout.includes(jump!);
    } else {
      const clusterIP = (await json(['get', 'service', 'web'])).spec.clusterIP;
      const element = `{ ${clusterIP} . tcp . 80 }`;
      const del = await lab().onNode(node, ['nft', 'delete', 'element', 'ip', 'kube-proxy', 'service-ips', element]);
      t.equal(del.exitCode, 0, del.stderr);
      const r = await doctor();
      t.equal(r.exitCode, 1, 'a difference: exit status 1');
      t.match(r.stdout, new RegExp(`^missing service default/web\\S* \\(${clusterIP.replace(/\./g, '\\.')}:80/TCP\\): no service-ips element$`, 'm'));
      restored = async () => (await lab().onNode(node, ['nft', 'get', 'element', 'ip', 'kube-proxy', 'service-ips', element])).exitCode === 0;
    }

    // A new kube-proxy pod starts with a full sync, which rewrites every rule it owns.
    const proxy = (await json(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--field-selector', `spec.nodeName=${node}`])).items[0];
    t.equal((await kubectl(['delete', 'pod', '-n', 'kube-system', proxy.metadata.name])).exitCode, 0);
    await until('the restarted kube-proxy restores the rule', async () => (await doctor()).exitCode === 0);
    t.ok(await restored(), 'the same rule is back');
  });
}
