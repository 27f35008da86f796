// `kubets doctor network` on a lab node: with the web Service running it finds nothing to report; a rule deleted by
// hand (one of the web Service's endpoint jumps) is reported, and kube-proxy's next full sync — a restarted
// kube-proxy makes one — puts it back.
import path from 'node:path';
import type { Test } from 'tap';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

export function doctorChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('kubets doctor network: nothing to report, then a rule deleted by hand is reported and restored by kube-proxy', async (t) => {
    const node = 'worker1';
    const doctor = () => lab().onNode(node, [lab().nodeBinary, path.join(lab().repoRoot, 'dist', 'cli', 'kubets.js'), 'doctor', 'network', '--kubeconfig', lab().kubeconfig]);
    const clean = await until('the doctor finds nothing on worker1', async () => {
      const r = await doctor();
      return r.exitCode === 0 && r;
    });
    t.equal(clean.stdout, '', 'no differences');
    t.match(clean.stderr, /node worker1, iptables mode: \d+ service ports, 3 peer routes checked; no differences/);

    const save = await lab().onNode(node, ['iptables-save', '-t', 'nat']);
    const jump = save.stdout.split('\n').find((l) => /^-A KUBE-SVC-\S+ .*default\/web.* -j KUBE-SEP-/.test(l));
    t.ok(jump, 'a jump from the web Service\'s chain to one of its endpoints');
    // kube-proxy syncs on changes (and hourly): a sync between the deletion and the doctor's look would put the rule
    // back first. Its metrics say when it last synced; a look that raced a sync is tried again.
    const lastSync = async () => /^kubeproxy_sync_proxy_rules_last_timestamp_seconds (\S+)$/m.exec((await lab().onNode(node, ['curl', '-s', '127.0.0.1:10249/metrics'])).stdout)?.[1];
    let reported: { exitCode: number; stdout: string } | undefined;
    for (let attempt = 1; attempt <= 5 && !reported; attempt++) {
      const before = await lastSync();
      const del = await lab().onNode(node, ['sh', '-c', `iptables -t nat ${jump!.replace(/^-A /, '-D ')}`]);
      if (del.exitCode !== 0) continue; // a sync had rewritten the chain under a new order: read and try again
      const r = await doctor();
      if ((await lastSync()) === before) reported = r;
    }
    t.ok(reported, 'the doctor looked with no sync of kube-proxy in between');
    t.equal(reported?.exitCode, 1, 'a difference: exit status 1');
    t.match(reported?.stdout, /^missing endpoint default\/web\S* \([\d.]+:80\/TCP\) -> [\d.]+:\d+: no jump from KUBE-SVC-\S+ to KUBE-SEP-\S+$/m);
    // A partial sync rewrites only the chains of Services that changed, as kube-proxy's; the full sync of a restarted
    // kube-proxy (the DaemonSet makes a new pod) reads the kernel and writes every chain again.
    const { kubectl } = labClient(lab());
    const restarted = await kubectl(['delete', 'pod', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--field-selector', `spec.nodeName=${node}`]);
    t.equal(restarted.exitCode, 0, String(restarted.stderr));
    await until('the restarted kube-proxy restores the rule', async () => (await doctor()).exitCode === 0);
    t.ok((await lab().onNode(node, ['iptables-save', '-t', 'nat'])).stdout.includes(jump!), 'the same rule is back');
  });
}
