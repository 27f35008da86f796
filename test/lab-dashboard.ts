// The Dashboard on the lab, in a real browser (Debian's chromium through test/dashboard-browser.ts), as its users reach
// it: https://WORKER:30443 through the NodePort, logged in with `kubectl create token` tokens of two service accounts
// (one bound to cluster-admin, one to view). Covered here, on real nodes: the overview's nodes and Prometheus' live
// CPU and memory charts, a scale from the page and one from kubectl seen in the open page (how long it took is
// printed), a running container's line appearing live in the log tab, the same line found on the log search page
// (cluster-logs), and a view-only user's delete refused with the 403 message. Screenshots go to the directory the
// test prints.
import type { Test } from 'tap';
import { openDashboard } from './dashboard-browser.js';
import { labClient, until, type LabUnderTest } from './lab-e2e.js';

const logger = `apiVersion: v1
kind: Pod
metadata: {name: dash-logger}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.35
    command: ["sh", "-c", "echo dash-logger started; exec sleep 100000"]
`;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function dashboardChecks(t: Test, lab: () => LabUnderTest): void {
  t.test('the Dashboard in a browser, on NodePort 30443', async (t) => {
    const { kubectl, must, json } = labClient(lab());
    t.teardown(async () => {
      await kubectl(['delete', 'pod', 'dash-logger', '--grace-period=0', '--force', '--ignore-not-found']);
      await kubectl(['delete', 'clusterrolebinding', 'dash-admin', 'dash-viewer', '--ignore-not-found']);
      await kubectl(['-n', 'kube-system', 'delete', 'serviceaccount', 'dash-admin', 'dash-viewer', '--ignore-not-found']);
    });
    await until('the dashboard Deployment available', async () => (await json(['-n', 'kube-system', 'get', 'deployment', 'dashboard'])).status?.availableReplicas >= 1, 180_000);
    for (const [sa, role] of [['dash-admin', 'cluster-admin'], ['dash-viewer', 'view']] as const) {
      await must(['-n', 'kube-system', 'create', 'serviceaccount', sa]);
      await must(['create', 'clusterrolebinding', sa, `--clusterrole=${role}`, `--serviceaccount=kube-system:${sa}`]);
    }
    const adminToken = await must(['-n', 'kube-system', 'create', 'token', 'dash-admin']);
    const viewerToken = await must(['-n', 'kube-system', 'create', 'token', 'dash-viewer']);
    await must(['apply', '-f', '-'], logger);
    await until('dash-logger running', async () => (await json(['get', 'pod', 'dash-logger'])).status?.phase === 'Running', 120_000);

    const b = await openDashboard(`https://${lab().nodes.worker1}:30443/`);
    t.teardown(() => b.close());
    t.comment(`screenshots in ${b.shotsDir}`);

    await b.login(adminToken, 'system:serviceaccount:kube-system:dash-admin');
    t.pass('logged in with a service account token');

    // Overview: every node Ready; Prometheus' charts, queried through the API server's services proxy, have lines.
    const nodes = ((await json(['get', 'nodes'])).items as { metadata: { name: string } }[]).map((n) => n.metadata.name);
    for (const node of nodes) t.equal(await b.waitForText(`node-status-${node}`, /Ready/, 60_000), 'Ready', `${node} Ready`);
    for (const chart of ['CPU', 'Memory']) {
      // A line with at least one segment (a path whose data has more than its first point) per node.
      const lines = () => b.page.$$eval(`[data-testid="chart-${chart}"] svg path`, (ps: any[]) => ps.filter((p) => /^M[^MLC]*[LC]/.test(p.getAttribute('d') ?? '')).length);
      await until(`the ${chart} chart's lines drawn`, async () => (await lines()) >= nodes.length, 180_000);
    }
    t.pass('CPU and memory charts from Prometheus');
    await b.shot('lab-overview');

    // Scale from the page reaches the Deployment; kubectl's scale shows up in the open page.
    await b.goto('object/apps/deployments/default/web');
    const replicas = (await json(['get', 'deployment', 'web'])).spec.replicas as number;
    await b.waitForText('summary-replicas', new RegExp(`^${replicas} desired`), 30_000);
    await b.scale(replicas + 1);
    await until('the page\'s scale in the API', async () => (await json(['get', 'deployment', 'web'])).spec.replicas === replicas + 1, 30_000);
    t.pass('scaled from the page');
    const start = Date.now();
    await must(['scale', 'deployment', 'web', `--replicas=${replicas}`]);
    await b.waitForText('summary-replicas', new RegExp(`^${replicas} desired`), 30_000);
    t.comment(`kubectl scale seen in the open page after ${Date.now() - start} ms`);
    t.pass('kubectl scale seen in the page');
    await b.shot('lab-scaled');

    // A line written now by the running container appears in the open log tab.
    await b.goto('object/core/pods/default/dash-logger');
    await b.click('tab-logs');
    await b.waitForText('logs', /dash-logger started/, 60_000);
    const line = `dashboard-live-${Date.now().toString(36)}`;
    const written = Date.now();
    await must(['exec', 'dash-logger', '--', 'sh', '-c', `echo ${line} > /proc/1/fd/1`]);
    await b.waitForText('logs', new RegExp(escape(line)), 30_000);
    t.comment(`log line shown ${Date.now() - written} ms after it was written`);
    t.pass('the log line appeared live');
    await b.shot('lab-logs-live');

    // The log search page finds it in cluster-logs. A search that shows no count (cluster-logs answering 503 while
    // its pod moves: the drain before this check may have evicted it) or a count of 0 is asked again.
    await b.goto('logs');
    await until('the line found on the search page', async () => {
      await b.setValue('search-q', line);
      await b.click('search');
      const count = await b.waitForText('search-count', /line/, 15_000).catch(() => '');
      return count !== '' && !count.startsWith('0');
    }, 120_000);
    t.match(await b.waitForText('search-results', new RegExp(escape(line))), /dash-logger/, 'the search result names the pod');
    await b.shot('lab-log-search');

    // A view-only user: the delete is refused with the 403 message, and the pod stays.
    await b.logout();
    await b.login(viewerToken, 'system:serviceaccount:kube-system:dash-viewer');
    await b.goto('object/core/pods/default/dash-logger');
    await b.waitForText('object-title', /dash-logger/, 30_000);
    await b.deleteObject();
    t.match(await b.waitForError(/cannot delete resource "pods"/, 403), /Forbidden/, 'the 403 shown as a message');
    await b.shot('lab-forbidden');
    t.equal((await json(['get', 'pod', 'dash-logger'])).metadata?.name, 'dash-logger', 'the pod is still there');
  });
}
