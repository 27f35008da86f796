// StatefulSets, Jobs, CronJobs, ResourceQuotas, LimitRanges and events.k8s.io Events against a real `kubets server`,
// driven with the real kubectl. No containers run: the test plays the kubelet by writing pod status.
import t from 'tap';
import { ApiClient } from '../api/client.js';
import { EventRecorder } from '../api/events.js';
import { InformerFactory } from '../api/informer.js';
import { Resources } from '../api/resources.js';
import { formatMicroTime, formatTime } from '../api/time.js';
import type { CronJob, Job, KubeObject, PersistentVolumeClaim, Pod, StatefulSet } from '../api/types.js';
import { serverDefaults } from '../control-plane/config.js';
import { cronJobController } from '../control-plane/controllers/cronjob/controller.js';
import { startServer, type TestServer } from './server-fixture.js';
import { until } from './until.js';

let srv: TestServer;
t.before(async () => {
  srv = await startServer();
});
t.teardown(() => srv?.destroy());

const now = () => formatTime();
const kubectl = (args: string[], input?: string) => srv.kubectl(args, { input });
const podsIn = async (ns: string, selector?: string) => (await srv.client.list<Pod>(Resources.pods, ns, selector ? { labelSelector: selector } : {})).items;

/** What a kubelet would report: Running and Ready, or a finished pod. */
async function setPod(ns: string, name: string, state: 'Ready' | 'Succeeded' | 'Failed'): Promise<void> {
  const ready = state === 'Ready';
  const terminated = { exitCode: state === 'Succeeded' ? 0 : 1, reason: state === 'Succeeded' ? 'Completed' : 'Error', startedAt: now(), finishedAt: now() };
  await srv.client.patch(Resources.pods, ns, name, 'merge', {
    status: {
      phase: ready ? 'Running' : state,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now() }],
      containerStatuses: [{ name: 'c', ready, restartCount: 0, image: 'busybox:1.35', imageID: '', state: ready ? { running: { startedAt: now() } } : { terminated } }],
    },
  }, 'status');
}

const sts = (replicas: number) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "busybox:1.35", command: [httpd, -f]}]
`;

t.test('StatefulSet: ordered creation, stable identity, status and printing', async (t) => {
  const r = await kubectl(['apply', '-f', '-'], sts(3));
  t.equal(r.exitCode, 0, r.stderr);
  // OrderedReady: web-1 waits until web-0 is Running and Ready.
  const first = await until('web-0', async () => (await podsIn('default', 'app=web')).length === 1 && (await podsIn('default', 'app=web')));
  t.equal(first[0].metadata.name, 'web-0');
  t.equal(first[0].spec.hostname, 'web-0');
  t.equal(first[0].spec.subdomain, 'web');
  t.equal(first[0].metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
  t.equal(first[0].metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
  t.match(first[0].metadata.labels?.['controller-revision-hash'], /^web-[a-z0-9]+$/);
  // Once status counts web-0, the controller has synced with web-0 in its cache, and held web-1 back.
  await until('web-0 in status', async () => {
    const s = await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web');
    return s.status?.observedGeneration === s.metadata.generation && s.status?.replicas === 1;
  });
  t.equal((await podsIn('default', 'app=web')).length, 1, 'no second pod before the first is ready');
  for (const n of ['web-0', 'web-1', 'web-2']) {
    await until(n, async () => (await podsIn('default', 'app=web')).some((p) => p.metadata.name === n));
    await setPod('default', n, 'Ready');
  }
  const set = await until('3 ready', async () => {
    const s = await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web');
    return s.status?.readyReplicas === 3 && s.status.availableReplicas === 3 && s;
  });
  t.equal(set.status?.currentRevision, set.status?.updateRevision);
  t.equal(set.status?.updatedReplicas, 3);
  const get = await kubectl(['get', 'sts', 'web', '-o', 'wide']);
  t.match(get.stdout, /^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\n/);
  t.match(get.stdout, /^web\s+3\/3\s+\d+s\s+c\s+busybox:1\.35$/m);
  const events = await kubectl(['events', '--for', 'statefulset/web']);
  t.match(events.stdout, /SuccessfulCreate\s+StatefulSet\/web\s+create Pod web-2 in StatefulSet web successful/);
});

t.test('StatefulSet: scale down from the highest ordinal, one at a time', async (t) => {
  // A watch sees every step, however quickly the controller takes them: each pod's deletion begun, then gone.
  const list = await srv.client.list<Pod>(Resources.pods, 'default', { labelSelector: 'app=web' });
  const steps: string[] = [];
  const abort = new AbortController();
  const watching = srv.client.watch<Pod>(Resources.pods, 'default', { resourceVersion: list.metadata.resourceVersion, labelSelector: 'app=web' }, (e) => {
    const name = e.object.metadata.name!;
    const step = e.type === 'DELETED' ? `${name} gone` : e.object.metadata.deletionTimestamp ? `${name} deleting` : undefined;
    if (step && steps.at(-1) !== step) steps.push(step);
  }, abort.signal).catch(() => undefined);
  t.teardown(() => abort.abort());
  const r = await kubectl(['scale', 'statefulset', 'web', '--replicas=1']);
  t.equal(r.exitCode, 0, r.stderr);
  await until('one pod left', async () => {
    const names = (await podsIn('default', 'app=web')).map((p) => p.metadata.name!);
    return names.length === 1 && names[0] === 'web-0' && steps.includes('web-1 gone');
  });
  abort.abort();
  await watching;
  const first = (name: string) => steps.findIndex((s) => s.startsWith(`${name} `));
  t.ok(steps.indexOf('web-2 gone') >= 0 && steps.indexOf('web-2 gone') < first('web-1'), `web-2 gone before web-1's deletion began: ${steps.join(', ')}`);
  t.notOk(steps.some((s) => s.startsWith('web-0 ')), 'web-0 stays');
  await kubectl(['scale', 'statefulset', 'web', '--replicas=2']);
  await until('web-1 back', async () => (await podsIn('default', 'app=web')).some((p) => p.metadata.name === 'web-1'));
  await setPod('default', 'web-1', 'Ready');
  await until('2 ready', async () => (await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web')).status?.readyReplicas === 2);
});

t.test('StatefulSet: rolling update from the highest ordinal; rollout status', async (t) => {
  const before = (await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web')).status!.updateRevision!;
  const r = await kubectl(['set', 'image', 'statefulset/web', 'c=busybox:1.36']);
  t.equal(r.exitCode, 0, r.stderr);
  const order: string[] = [];
  const rollout = kubectl(['rollout', 'status', 'statefulset/web', '--timeout=40s']);
  await until('rolled', async () => {
    const s = await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web');
    const pods = await podsIn('default', 'app=web');
    for (const p of pods) {
      if (p.metadata.labels?.['controller-revision-hash'] === s.status?.updateRevision && p.status?.phase !== 'Running') {
        order.push(p.metadata.name!);
        t.equal(p.spec.containers[0].image, 'busybox:1.36');
        await setPod('default', p.metadata.name!, 'Ready');
      }
    }
    const observed = s.status?.observedGeneration === s.metadata.generation && s.status?.updateRevision !== before;
    return observed && s.status?.updatedReplicas === 2 && s.status.currentRevision === s.status.updateRevision && s.status.readyReplicas === 2;
  }, 40_000);
  t.same(order, ['web-1', 'web-0'], 'highest ordinal first');
  const done = await rollout;
  t.equal(done.exitCode, 0, done.stderr);
  // The defaulted rollingUpdate.partition (0) makes kubectl report a partitioned roll out, as on any cluster.
  t.match(done.stdout, /partitioned roll out complete: 2 new pods have been updated\.\.\./);
  t.not((await srv.client.get<StatefulSet>(Resources.statefulsets, 'default', 'web')).status!.updateRevision, before);
});

t.test('StatefulSet: each pod gets its own claim from volumeClaimTemplates, made before it and kept when it is replaced', async (t) => {
  const withClaims = sts(1).replace('name: web}', 'name: db}').replace(/app: web/g, 'app: db') + `  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;
  const r = await kubectl(['apply', '-f', '-'], withClaims);
  t.equal(r.exitCode, 0, r.stderr);
  const pod = await until('pod db-0', async () => (await podsIn('default', 'app=db'))[0]);
  const claim = await srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, 'default', 'data-db-0');
  t.same(claim.metadata.labels, { app: 'db' }, 'labelled with the set\'s selector');
  t.equal(claim.spec.storageClassName, 'standard', 'the default class filled in');
  t.notOk(claim.metadata.ownerReferences, 'retained: no owner');
  t.same(pod.spec.volumes?.find((v) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } });
  await srv.client.delete(Resources.pods, 'default', 'db-0', { gracePeriodSeconds: 0 });
  const again = await until('db-0 recreated', async () => (await podsIn('default', 'app=db')).find((p) => p.metadata.uid !== pod.metadata.uid));
  t.same(again.spec.volumes?.find((v) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } });
  t.equal((await srv.client.get<PersistentVolumeClaim>(Resources.persistentvolumeclaims, 'default', 'data-db-0')).metadata.uid, claim.metadata.uid, 'the same claim');
  const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=db', '-o', 'jsonpath={.items[*].message}']);
  t.match(events.stdout, /create Claim data-db-0 Pod db-0 in StatefulSet db success/);
  t.equal((await kubectl(['delete', 'sts', 'db'])).exitCode, 0);
  const del = await kubectl(['delete', 'sts', 'web']);
  t.equal(del.exitCode, 0, del.stderr);
  await until('pods collected', async () => (await podsIn('default', 'app=web')).length === 0);
});

const jobYaml = (name: string, extra: string, restart = 'Never') => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${extra}  template:
    spec:
      restartPolicy: ${restart}
      containers: [{name: c, image: "busybox:1.35", command: [sh, -c, "echo hi"]}]
`;

t.test('Job: parallel pods until completions succeed; kubectl wait and get', async (t) => {
  const r = await kubectl(['apply', '-f', '-'], jobYaml('calc', '  completions: 3\n  parallelism: 2\n'));
  t.equal(r.exitCode, 0, r.stderr);
  const job = await srv.client.get<Job>(Resources.jobs, 'default', 'calc');
  const uid = job.metadata.uid!;
  t.same(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }, 'generated selector');
  t.equal(job.spec.backoffLimit, 6);
  const wait = kubectl(['wait', '--for=condition=complete', 'job/calc', '--timeout=40s']);
  const first = await until('2 pods', async () => {
    const l = await podsIn('default', 'job-name=calc');
    return l.length === 2 && l;
  });
  for (const p of first) {
    t.equal(p.metadata.labels?.['batch.kubernetes.io/job-name'], 'calc');
    t.equal(p.metadata.labels?.['batch.kubernetes.io/controller-uid'], uid);
    t.equal(p.spec.restartPolicy, 'Never');
  }
  const running = await until('running', async () => {
    const g = await kubectl(['get', 'job', 'calc']);
    return /^calc\s+Running\s+0\/3\s+\d+s\s+\d+s$/m.test(g.stdout) && g.stdout;
  });
  t.match(running, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/m);
  await setPod('default', first[0].metadata.name!, 'Succeeded');
  const third = await until('a third pod', async () => {
    const l = await podsIn('default', 'job-name=calc');
    return l.length === 3 && l.find((p) => !first.some((f) => f.metadata.name === p.metadata.name));
  });
  await setPod('default', first[1].metadata.name!, 'Succeeded');
  // Once status counts the second success, the controller has synced with it and decided how many pods to run.
  await until('2 succeeded', async () => (await srv.client.get<Job>(Resources.jobs, 'default', 'calc')).status?.succeeded === 2);
  t.equal((await podsIn('default', 'job-name=calc')).length, 3, 'never more pods than completions need');
  await setPod('default', third.metadata.name!, 'Succeeded');
  const w = await wait;
  t.equal(w.exitCode, 0, w.stderr);
  t.match(w.stdout, /job\.batch\/calc condition met/);
  const done = await srv.client.get<Job>(Resources.jobs, 'default', 'calc');
  t.equal(done.status?.succeeded, 3);
  t.ok(done.status?.completionTime && done.status.startTime);
  t.same(done.status?.conditions?.map((c) => [c.type, c.status, c.reason]).sort(), [['Complete', 'True', 'CompletionsReached'], ['SuccessCriteriaMet', 'True', 'CompletionsReached']]);
  const get = await kubectl(['get', 'job', 'calc', '-o', 'wide']);
  t.match(get.stdout, new RegExp(`^calc\\s+Complete\\s+3/3\\s+\\d+s\\s+\\d+s\\s+c\\s+busybox:1\\.35\\s+batch\\.kubernetes\\.io/controller-uid=${uid}$`, 'm'));
  const events = await kubectl(['events', '--for', 'job/calc']);
  t.match(events.stdout, /Normal\s+SuccessfulCreate\s+Job\/calc\s+Created pod: calc-/);
  t.match(events.stdout, /Normal\s+Completed\s+Job\/calc\s+Job completed/);
});

t.test('Job: Indexed completion mode gives each pod its index', async (t) => {
  await kubectl(['apply', '-f', '-'], jobYaml('idx', '  completions: 2\n  parallelism: 2\n  completionMode: Indexed\n'));
  const pods = await until('pods', async () => {
    const l = await podsIn('default', 'job-name=idx');
    return l.length === 2 && l.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  });
  t.same(pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']), ['0', '1']);
  t.same(pods.map((p) => p.spec.hostname), ['idx-0', 'idx-1']);
  t.same(pods[1].spec.containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', value: '1' }]);
  t.match(pods[1].metadata.name, /^idx-1-[a-z0-9]{5}$/);
  await setPod('default', pods[1].metadata.name!, 'Succeeded');
  await until('index 1 recorded', async () => (await srv.client.get<Job>(Resources.jobs, 'default', 'idx')).status?.completedIndexes === '1');
  await setPod('default', pods[0].metadata.name!, 'Succeeded');
  const job = await until('complete', async () => {
    const j = await srv.client.get<Job>(Resources.jobs, 'default', 'idx');
    return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') && j;
  });
  t.equal(job.status?.completedIndexes, '0-1');
  t.equal(job.status?.succeeded, 2);
});

t.test('Job: failures past backoffLimit fail the job and stop its pods', async (t) => {
  await kubectl(['apply', '-f', '-'], jobYaml('flaky', '  backoffLimit: 0\n  parallelism: 2\n  completions: 4\n'));
  const pods = await until('pods', async () => {
    const l = await podsIn('default', 'job-name=flaky');
    return l.length === 2 && l;
  });
  await setPod('default', pods[0].metadata.name!, 'Failed');
  const job = await until('failed', async () => {
    const j = await srv.client.get<Job>(Resources.jobs, 'default', 'flaky');
    return j.status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') && j;
  });
  t.equal(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'BackoffLimitExceeded');
  t.equal(job.status?.conditions?.find((c) => c.type === 'FailureTarget')?.status, 'True');
  t.equal(job.status?.failed, 1);
  await until('running pod deleted', async () => (await podsIn('default', 'job-name=flaky')).every((p) => p.status?.phase === 'Failed'));
  const get = await kubectl(['get', 'job', 'flaky']);
  t.match(get.stdout, /^flaky\s+Failed\s+0\/4\s+/m);
  const w = await kubectl(['wait', '--for=condition=failed', 'job/flaky', '--timeout=5s']);
  t.equal(w.exitCode, 0, w.stderr);
});

t.test('Job: suspended jobs run nothing; ttlSecondsAfterFinished deletes a finished job and its pods', async (t) => {
  await kubectl(['apply', '-f', '-'], jobYaml('later', '  suspend: true\n  ttlSecondsAfterFinished: 0\n'));
  const suspended = await until('suspended', async () => {
    const g = await kubectl(['get', 'job', 'later']);
    return /^later\s+Suspended\s+0\/1\s+/m.test(g.stdout) && g;
  });
  t.ok(suspended);
  t.equal((await podsIn('default', 'job-name=later')).length, 0);
  await kubectl(['patch', 'job', 'later', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
  const [pod] = await until('pod', async () => {
    const l = await podsIn('default', 'job-name=later');
    return l.length === 1 && l;
  });
  await setPod('default', pod.metadata.name!, 'Succeeded');
  await until('job deleted after finishing', async () => {
    const r = await kubectl(['get', 'job', 'later']);
    return r.exitCode === 1 && /NotFound/.test(r.stderr);
  });
  await until('its pod collected', async () => (await podsIn('default', 'job-name=later')).length === 0);
  t.pass('deleted');
});

const cronYaml = (name: string, schedule: string, policy = 'Allow') => `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}}
spec:
  schedule: "${schedule}"
  timeZone: UTC
  concurrencyPolicy: ${policy}
  successfulJobsHistoryLimit: 1
  jobTemplate:
    metadata: {labels: {from: ${name}}}
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: "busybox:1.35", command: [date]}]
`;

t.test('CronJob: printing, validation, and kubectl create job --from', async (t) => {
  const bad = await kubectl(['apply', '-f', '-'], cronYaml('bad', '61 * * * *'));
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /spec\.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
  const r = await kubectl(['apply', '-f', '-'], cronYaml('nightly', '0 3 * * *'));
  t.equal(r.exitCode, 0, r.stderr);
  const get = await kubectl(['get', 'cronjob', 'nightly']);
  t.match(get.stdout, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/m);
  t.match(get.stdout, /^nightly\s+0 3 \* \* \*\s+UTC\s+False\s+0\s+<none>\s+\d+s$/m);
  const manual = await kubectl(['create', 'job', 'nightly-manual', '--from=cronjob/nightly']);
  t.equal(manual.exitCode, 0, manual.stderr);
  t.match(manual.stdout, /job\.batch\/nightly-manual created/);
  const job = await srv.client.get<Job>(Resources.jobs, 'default', 'nightly-manual');
  t.equal(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
  t.equal(job.metadata.ownerReferences?.[0].kind, 'CronJob');
  await until('manual job runs a pod', async () => (await podsIn('default', 'job-name=nightly-manual')).length === 1);
});

t.test('CronJob: scheduled runs and concurrency policies (controller on a test clock)', async (t) => {
  // A yearly schedule never fires on the server's own clock during the test; this controller's clock is moved to
  // New Year of the years after the CronJob was created.
  await kubectl(['apply', '-f', '-'], cronYaml('yearly', '0 0 1 1 *', 'Forbid'));
  const year = new Date().getUTCFullYear() + 1;
  const newYear = (n: number) => `${year + n}-01-01T00:00:00Z`;
  const halfAMinuteInto = (n: number) => Date.parse(newYear(n)) + 30_000;
  const client = ApiClient.fromKubeconfig(srv.kubeconfig);
  const informers = new InformerFactory(client);
  let clock = halfAMinuteInto(0);
  const controller = cronJobController({ client, informers, recorder: new EventRecorder(client, 'cronjob-controller'), config: { ...serverDefaults, dataDir: '', advertiseAddress: '127.0.0.1', extraSANs: [] } as any }, () => clock);
  informers.start();
  await informers.waitForSync();
  const running = controller.run();
  t.teardown(async () => {
    controller.close();
    await running;
    await informers.close();
    client.close();
  });
  const owned = async () => (await srv.client.list<Job>(Resources.jobs, 'default', { labelSelector: 'from=yearly' })).items;
  const first = await until('first run', async () => {
    const l = await owned();
    return l.length === 1 && l[0];
  });
  t.equal(first.metadata.name, `yearly-${Date.parse(newYear(0)) / 60_000}`);
  t.equal(first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], newYear(0));
  const cj = await until('status', async () => {
    const c = await srv.client.get<CronJob>(Resources.cronjobs, 'default', 'yearly');
    return c.status?.active?.length === 1 && c;
  });
  t.equal(cj.status?.lastScheduleTime, newYear(0));
  t.match((await kubectl(['get', 'cj', 'yearly'])).stdout, /^yearly\s+0 0 1 1 \*\s+UTC\s+False\s+1\s+/m);

  // A year on, the first run is still active: Forbid skips the run.
  clock = halfAMinuteInto(1);
  await kubectl(['label', 'cronjob', 'yearly', 'tick=1']);
  await until('skip recorded', async () => /JobAlreadyActive/.test((await kubectl(['events', '--for', 'cronjob/yearly'])).stdout));
  t.equal((await owned()).length, 1, 'Forbid started nothing');

  // Replace: the running job goes, a new one starts.
  await kubectl(['patch', 'cronjob', 'yearly', '--type=merge', '-p', '{"spec":{"concurrencyPolicy":"Replace"}}']);
  const replaced = await until('replaced', async () => {
    const l = (await owned()).filter((j) => !j.metadata.deletionTimestamp);
    return l.length === 1 && l[0].metadata.name !== first.metadata.name && l[0];
  });
  t.equal(replaced.metadata.name, `yearly-${Date.parse(newYear(1)) / 60_000}`);

  // Allow: a further run starts beside the active one; finished runs beyond the history limit are deleted.
  await kubectl(['patch', 'cronjob', 'yearly', '--type=merge', '-p', '{"spec":{"concurrencyPolicy":"Allow"}}']);
  clock = halfAMinuteInto(2);
  await kubectl(['label', 'cronjob', 'yearly', 'tick=2', '--overwrite']);
  await until('two active', async () => (await srv.client.get<CronJob>(Resources.cronjobs, 'default', 'yearly')).status?.active?.length === 2);
  for (const j of await owned()) {
    const [pod] = await until(`pod of ${j.metadata.name}`, async () => {
      const l = await podsIn('default', `job-name=${j.metadata.name}`);
      return l.length === 1 && l;
    });
    await setPod('default', pod.metadata.name!, 'Succeeded');
  }
  await until('history pruned to one', async () => (await owned()).filter((j) => !j.metadata.deletionTimestamp).length === 1);
  const last = await until('no active', async () => {
    const c = await srv.client.get<CronJob>(Resources.cronjobs, 'default', 'yearly');
    return !c.status?.active?.length && c.status?.lastSuccessfulTime ? c : undefined;
  });
  t.equal(last.status?.lastScheduleTime, newYear(2));

  // Suspended: the next year's run does not start.
  await kubectl(['patch', 'cronjob', 'yearly', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
  clock = halfAMinuteInto(3);
  await kubectl(['label', 'cronjob', 'yearly', 'tick=3', '--overwrite']);
  await until('suspended', async () => /^yearly\s+0 0 1 1 \*\s+UTC\s+True\s+0\s+/m.test((await kubectl(['get', 'cj', 'yearly'])).stdout));
  // A marker created after the tick: once the controller has started the marker's run, it has handled the tick too.
  await kubectl(['apply', '-f', '-'], cronYaml('marker', '0 0 1 1 *'));
  await until('the marker ran', async () => (await srv.client.list<Job>(Resources.jobs, 'default', { labelSelector: 'from=marker' })).items.length === 1);
  t.equal((await owned()).filter((j) => !j.metadata.deletionTimestamp).length, 1, 'no run while suspended');
  t.equal((await srv.client.get<CronJob>(Resources.cronjobs, 'default', 'yearly')).status?.lastScheduleTime, newYear(2));
});

t.test('ResourceQuota: usage, 403 exceeded quota, release on delete', async (t) => {
  await kubectl(['create', 'namespace', 'quota-test']);
  const q = `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: quota-test}
spec: {hard: {pods: "2", requests.cpu: "1", limits.memory: 256Mi, count/configmaps: "10"}}
`;
  t.equal((await kubectl(['apply', '-f', '-'], q)).exitCode, 0);
  const run = (name: string, cpu: string) => kubectl(['run', name, '-n', 'quota-test', '--image=busybox:1.35', `--overrides={"spec":{"containers":[{"name":"${name}","image":"busybox:1.35","resources":{"requests":{"cpu":"${cpu}"},"limits":{"cpu":"${cpu}","memory":"128Mi"}}}]}}`]);
  t.equal((await run('a', '600m')).exitCode, 0);
  const tooMuch = await run('b', '500m');
  t.equal(tooMuch.exitCode, 1);
  t.match(tooMuch.stderr, 'Error from server (Forbidden): pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1');
  const missing = await kubectl(['run', 'c', '-n', 'quota-test', '--image=busybox:1.35']);
  t.match(missing.stderr, 'Error from server (Forbidden): pods "c" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c');
  t.equal((await run('d', '400m')).exitCode, 0);
  const third = await run('e', '0');
  t.match(third.stderr, 'pods "e" is forbidden: exceeded quota: compute, requested: limits.memory=128Mi,pods=1, used: limits.memory=256Mi,pods=2, limited: limits.memory=256Mi,pods=2');
  const get = await until('used', async () => {
    const g = await kubectl(['get', 'quota', '-n', 'quota-test']);
    // kube-root-ca.crt, published in every namespace, counts as one.
    return /compute\s+\d+s\s+count\/configmaps: 1\/10, pods: 2\/2, requests\.cpu: 1\/1\s+limits\.memory: 256Mi\/256Mi/.test(g.stdout) && g.stdout;
  });
  t.match(get, /^NAME\s+AGE\s+REQUEST\s+LIMIT$/m);
  await kubectl(['delete', 'pod', 'a', '-n', 'quota-test', '--wait=false']);
  await until('usage released', async () => (await run('b', '500m')).exitCode === 0);
  t.pass('created once the quota had room again');
});

t.test('LimitRange: defaults on created pods, min/max enforced', async (t) => {
  await kubectl(['create', 'namespace', 'limits-test']);
  const lr = `apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: limits-test}
spec:
  limits:
  - type: Container
    default: {cpu: 300m, memory: 64Mi}
    defaultRequest: {cpu: 100m}
    max: {cpu: 500m}
    min: {cpu: 50m}
`;
  t.equal((await kubectl(['apply', '-f', '-'], lr)).exitCode, 0);
  const stored = await srv.client.get<KubeObject>(Resources.limitranges, 'limits-test', 'defaults');
  t.same((stored as any).spec.limits[0].defaultRequest, { cpu: '100m', memory: '64Mi' }, 'defaultRequest filled from default');
  t.equal((await kubectl(['run', 'plain', '-n', 'limits-test', '--image=busybox:1.35'])).exitCode, 0);
  const res = await kubectl(['get', 'pod', 'plain', '-n', 'limits-test', '-o', 'jsonpath={.spec.containers[0].resources}']);
  t.same(JSON.parse(res.stdout), { limits: { cpu: '300m', memory: '64Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
  const ann = await kubectl(['get', 'pod', 'plain', '-n', 'limits-test', '-o', "jsonpath={.metadata.annotations['kubernetes\\.io/limit-ranger']}"]);
  t.equal(ann.stdout, 'LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain');
  const big = await kubectl(['run', 'big', '-n', 'limits-test', '--image=busybox:1.35', '--overrides={"spec":{"containers":[{"name":"big","image":"busybox:1.35","resources":{"limits":{"cpu":"1"}}}]}}']);
  t.match(big.stderr, 'Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1');
  const get = await kubectl(['get', 'limitrange', '-n', 'limits-test']);
  t.match(get.stdout, /^NAME\s+CREATED AT\ndefaults\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
});

t.test('events.k8s.io/v1 serves the same events as core/v1', async (t) => {
  const ev = await srv.client.create<KubeObject>(Resources.eventsV1, 'default', {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'hello.1' },
    eventTime: formatMicroTime(),
    reportingController: 'example.com/tester',
    reportingInstance: 'tester-1',
    action: 'Greet',
    reason: 'Hello',
    type: 'Normal',
    note: 'said hello',
    regarding: { apiVersion: 'v1', kind: 'Namespace', name: 'default' },
  });
  t.equal(ev.apiVersion, 'events.k8s.io/v1');
  const core = await srv.client.get<KubeObject>(Resources.events, 'default', 'hello.1');
  t.equal(core.message, 'said hello');
  t.equal((core.involvedObject as any).kind, 'Namespace');
  t.equal(core.reportingComponent, 'example.com/tester');
  const both = await kubectl(['get', 'events.v1.events.k8s.io', '--field-selector', 'reason=Hello', '-o', 'jsonpath={.items[*].note}']);
  t.equal(both.stdout, 'said hello');
  const table = await kubectl(['get', 'events.events.k8s.io', '--field-selector', 'regarding.kind=Namespace']);
  t.match(table.stdout, /Normal\s+Hello\s+namespace\/default\s+said hello/);
  const events = await kubectl(['events', '--types=Normal', '-n', 'default']);
  t.match(events.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
  t.match(events.stdout, /Normal\s+Hello\s+Namespace\/default\s+said hello/);
  const bad = await kubectl(['create', '-f', '-'], 'apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: x}\nreason: R\n');
  t.match(bad.stderr, /eventTime: Required value/);
});
