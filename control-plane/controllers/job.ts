// Job controller: runs pods until `completions` of them succeed (or, without completions, until one succeeds and the
// rest finish), at most `parallelism` at a time; failed pods are replaced after an exponential back-off until
// `backoffLimit` is passed. Finishing goes through the 1.32 interim conditions (SuccessCriteriaMet / FailureTarget)
// to Complete / Failed once no pod is still running; `ttlSecondsAfterFinished` deletes finished jobs.
//
// Counts: kube-controller-manager keeps a tracking finalizer on every job pod so a deleted pod is never lost from the
// counts. Here succeeded/failed are the terminated pods that exist, never decreasing below what status already says;
// pods deleted by hand while the job runs are therefore not counted as failures.
import { isAlreadyExists, isNotFound } from '../../api/errors.js';
import { Resources } from '../../api/resources.js';
import { type Condition, type Job, type JobStatus, type KubeObject, type LabelSelector, objectKey, type Pod, type PodTemplateSpec } from '../../api/types.js';
import { controllerOf, queueController, type Controller, type ControllerContext } from './controller.js';
import { formatTime } from '../../api/time.js';
import { isPodReady } from '../../api/pods.js';

export const JOB_NAME = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 6 * 60_000;

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const hasCondition = (j: Job, type: string) => (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
export const jobFinished = (j: Job) => hasCondition(j, 'Complete') || hasCondition(j, 'Failed');

/** "1,3-5" ↔ [1, 3, 4, 5]: how status.completedIndexes spells a set of indexes. */
export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return out;
}
export function formatIndexes(set: Iterable<number>): string {
  const sorted = [...new Set(set)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const indexOf = (p: Pod) => {
  const v = p.metadata.annotations?.[COMPLETION_INDEX] ?? p.metadata.labels?.[COMPLETION_INDEX];
  return v === undefined ? undefined : Number(v);
};

/** Sets (or replaces) a condition, keeping lastTransitionTime when the status does not change. */
function setCondition(conditions: Condition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): Condition[] {
  const old = conditions.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason) return conditions;
  const c: Condition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
  return [...conditions.filter((x) => x.type !== type), c];
}

export function jobController(ctx: ControllerContext, clock: () => number = Date.now): Controller {
  const { client, informers, recorder } = ctx;
  const jobs = informers.for<Job>(Resources.jobs);
  const pods = informers.for<Pod>(Resources.pods);
  const c = queueController('job-controller', 2, sync);
  // Pods created but not yet seen by the informer, per job: no second batch until they show up.
  const expected = new Map<string, { names: Set<string>; at: number }>();
  const lastFailure = new Map<string, { failed: number; at: number }>();

  const ownerKey = (p: Pod) => {
    const ref = controllerOf(p);
    return ref?.kind === 'Job' ? `${p.metadata.namespace}/${ref.name}` : undefined;
  };
  jobs.addHandlers({ onAdd: (j) => c.queue.add(objectKey(j)), onUpdate: (_o, j) => c.queue.add(objectKey(j)), onDelete: (j) => c.queue.add(objectKey(j)) });
  const onPod = (p: Pod) => {
    const k = ownerKey(p);
    if (!k) return;
    expected.get(k)?.names.delete(p.metadata.name!);
    c.queue.add(k);
  };
  pods.addHandlers({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });

  async function sync(key: string): Promise<void> {
    const job = jobs.get(key);
    if (!job) {
      expected.delete(key);
      lastFailure.delete(key);
      return;
    }
    if (job.metadata.deletionTimestamp) return;
    const owned = pods.list().filter((p) => p.metadata.namespace === job.metadata.namespace && controllerOf(p)?.uid === job.metadata.uid);
    if (jobFinished(job)) return finished(job, owned, key);
    const e = expected.get(key);
    if (e && e.names.size > 0 && clock() - e.at < 30_000) return;
    expected.delete(key);

    const now = formatTime();
    const spec = job.spec;
    const indexed = spec.completionMode === 'Indexed';
    let active = owned.filter((p) => !terminal(p) && !p.metadata.deletionTimestamp);
    const terminating = owned.filter((p) => !terminal(p) && p.metadata.deletionTimestamp);
    const succeededPods = owned.filter((p) => p.status?.phase === 'Succeeded');
    const failedPods = owned.filter((p) => p.status?.phase === 'Failed');
    const st: JobStatus = job.status ?? {};
    const completed = parseIndexes(st.completedIndexes);
    if (indexed) for (const p of succeededPods) if (indexOf(p) !== undefined && indexOf(p)! < (spec.completions ?? 0)) completed.add(indexOf(p)!);
    const succeeded = indexed ? completed.size : Math.max(st.succeeded ?? 0, succeededPods.length);
    const failed = Math.max(st.failed ?? 0, failedPods.length);
    let conditions = [...(st.conditions ?? [])];
    let startTime = st.startTime;
    let completionTime = st.completionTime;

    if (spec.suspend) {
      await remove(job, active);
      active = [];
      if (!hasCondition(job, 'Suspended')) recorder.record(job, 'Normal', 'Suspended', 'Job suspended');
      conditions = setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
    } else {
      if (hasCondition(job, 'Suspended')) {
        conditions = setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        recorder.record(job, 'Normal', 'Resumed', 'Job resumed');
        startTime = now;
      }
      startTime ??= now;

      const restarts = spec.template.spec.restartPolicy === 'OnFailure' ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, s) => m + (s.restartCount ?? 0), 0), 0) : 0;
      let failure: [string, string] | undefined;
      if (failed + restarts > (spec.backoffLimit ?? 6)) failure = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      else if (spec.activeDeadlineSeconds) {
        const deadline = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000;
        if (clock() >= deadline) failure = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
        else c.queue.addAfter(key, Math.min(deadline - clock() + 100, 24 * 3600_000));
      }
      const done = indexed ? completed.size >= (spec.completions ?? 0) : spec.completions !== undefined && spec.completions !== null ? succeeded >= spec.completions : succeeded > 0 && active.length === 0;

      // The final condition waits until no pod of the job is still running or shutting down.
      const settled = active.length === 0 && terminating.length === 0;
      if (failure) {
        conditions = setCondition(conditions, 'FailureTarget', 'True', failure[0], failure[1], now);
        await remove(job, active);
        active = [];
        if (settled) {
          conditions = setCondition(conditions, 'Failed', 'True', failure[0], failure[1], now);
          recorder.record(job, 'Warning', failure[0], failure[1]);
        }
      } else if (done) {
        conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
        await remove(job, active);
        active = [];
        if (settled) {
          conditions = setCondition(conditions, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
          completionTime = now;
          recorder.record(job, 'Normal', 'Completed', 'Job completed');
        }
      } else {
        active = await scale(job, key, active, succeeded, failed, completed);
      }
    }

    const status: JobStatus = {
      ...st,
      active: active.length,
      ready: active.filter(isPodReady).length,
      terminating: terminating.length,
      succeeded,
      failed,
      startTime,
      completionTime,
      conditions: conditions.length ? conditions : undefined,
      uncountedTerminatedPods: st.uncountedTerminatedPods ?? {},
    };
    if (indexed) status.completedIndexes = formatIndexes(completed);
    for (const k of Object.keys(status) as (keyof JobStatus)[]) if (status[k] === undefined) delete status[k];
    if (JSON.stringify(status) === JSON.stringify(st)) return;
    try {
      await client.updateStatus(Resources.jobs, { ...job, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Creates or deletes pods so `parallelism` (bounded by what is left to do) are running; returns the active set. */
  async function scale(job: Job, key: string, active: Pod[], succeeded: number, failed: number, completed: Set<number>): Promise<Pod[]> {
    const spec = job.spec;
    const parallelism = spec.parallelism ?? 1;
    const indexed = spec.completionMode === 'Indexed';
    let want: number;
    if (indexed) want = Math.min(parallelism, (spec.completions ?? 0) - completed.size);
    else if (spec.completions !== undefined && spec.completions !== null) want = Math.min(parallelism, spec.completions - succeeded);
    else want = succeeded > 0 ? 0 : parallelism;
    want = Math.max(0, want);
    if (active.length > want) {
      const extra = [...active].sort((a, b) => Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '')).slice(0, active.length - want);
      await remove(job, extra);
      return active.filter((p) => !extra.includes(p));
    }
    if (active.length === want) return active;
    // Replacements for failed pods wait 10 s, 20 s, 40 s … (at most 6 min) after the latest failure.
    if (failed > 0) {
      const lf = lastFailure.get(key);
      if (!lf || lf.failed !== failed) lastFailure.set(key, { failed, at: clock() });
      const delay = Math.min(BACKOFF_BASE_MS * 2 ** (failed - 1), BACKOFF_MAX_MS);
      const readyAt = lastFailure.get(key)!.at + delay;
      if (clock() < readyAt) {
        c.queue.addAfter(key, readyAt - clock() + 50);
        return active;
      }
    }
    let indexes: (number | undefined)[];
    if (indexed) {
      const busy = new Set(active.map(indexOf));
      indexes = [];
      for (let i = 0; i < (spec.completions ?? 0) && indexes.length < want - active.length; i++) if (!completed.has(i) && !busy.has(i)) indexes.push(i);
    } else indexes = Array.from({ length: want - active.length }, () => undefined);
    const names = new Set<string>();
    expected.set(key, { names, at: clock() });
    const results = await Promise.allSettled(indexes.map((i) => createPod(job, i)));
    let failures = 0;
    const created: Pod[] = [];
    for (const r of results) {
      if (r.status === 'fulfilled') {
        names.add(r.value.metadata.name!);
        created.push(r.value);
        recorder.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      } else {
        failures++;
        if (!isAlreadyExists(r.reason)) recorder.record(job, 'Warning', 'FailedCreate', `Error creating: ${(r.reason as Error).message}`);
      }
    }
    // Pods the informer already delivered need not be waited for.
    for (const n of [...names]) if (pods.get(`${job.metadata.namespace}/${n}`)) names.delete(n);
    if (failures) throw new Error(`${failures} of ${indexes.length} pod creations failed`);
    return [...active, ...created];
  }

  function createPod(job: Job, index: number | undefined): Promise<Pod> {
    const tmpl = job.spec.template;
    const name = job.metadata.name!;
    const spec = structuredClone(tmpl.spec);
    const labels = { ...(tmpl.metadata?.labels ?? {}) };
    const annotations = { ...(tmpl.metadata?.annotations ?? {}) };
    if (index !== undefined) {
      labels[COMPLETION_INDEX] = String(index);
      annotations[COMPLETION_INDEX] = String(index);
      spec.hostname ??= `${name}-${index}`;
      for (const ct of [...spec.containers, ...(spec.initContainers ?? [])]) ct.env = [...(ct.env ?? []).filter((v) => v.name !== 'JOB_COMPLETION_INDEX'), { name: 'JOB_COMPLETION_INDEX', value: String(index) }];
    }
    return client.create<Pod>(Resources.pods, job.metadata.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: index !== undefined ? `${name}-${index}-` : `${name}-`,
        namespace: job.metadata.namespace,
        labels,
        annotations: Object.keys(annotations).length ? annotations : undefined,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec,
    });
  }

  async function remove(job: Job, victims: Pod[]): Promise<void> {
    await Promise.all(
      victims.map(async (p) => {
        try {
          await client.delete(Resources.pods, p.metadata.namespace, p.metadata.name!);
          recorder.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }),
    );
  }

  /** A finished job: no pod keeps running, and it is deleted once its TTL after finishing has passed. */
  async function finished(job: Job, owned: Pod[], key: string): Promise<void> {
    if (hasCondition(job, 'Failed')) await remove(job, owned.filter((p) => !terminal(p) && !p.metadata.deletionTimestamp));
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null) return;
    const doneAt = job.status?.completionTime ?? job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True')?.lastTransitionTime;
    const expireAt = Date.parse(doneAt ?? '') + ttl * 1000;
    if (Number.isNaN(expireAt)) return;
    if (clock() < expireAt) {
      c.queue.addAfter(key, Math.min(expireAt - clock() + 100, 24 * 3600_000));
      return;
    }
    // As the TTL-after-finished controller does: foreground, so the pods go before the job.
    await client.delete(Resources.jobs, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: job.metadata.uid } }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  return c;
}
