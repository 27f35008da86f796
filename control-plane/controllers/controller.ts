// What every controller shares: informer handlers only enqueue keys; workers run sync(key) from the cache;
// success forgets, failure requeues with back-off (level-triggered, as pkg/controller does it).
import type { ApiClient } from '../../api/client.js';
import type { EventRecorder } from '../../api/events.js';
import type { EventHandlers, InformerFactory } from '../../api/informer.js';
import { objectKey, type KubeObject, type OwnerReference } from '../../api/types.js';
import { runWorkers, WorkQueue } from '../../api/workqueue.js';
import type { ControllerManagerConfig } from '../config.js';

export interface ControllerContext {
  client: ApiClient;
  informers: InformerFactory;
  recorder: EventRecorder;
  config: ControllerManagerConfig;
}

export interface Controller {
  readonly name: string;
  /** Runs until close(); resolves when its workers have stopped. */
  run(): Promise<void>;
  close(): void;
}

/** A controller from a sync function and a way to register its event handlers (which call enqueue). */
export function queueController(name: string, workers: number, sync: (key: string) => Promise<void>): Controller & { queue: WorkQueue } {
  const queue = new WorkQueue(undefined, undefined, name);
  return {
    name,
    queue,
    run: () => runWorkers(name, queue, workers, sync),
    close: () => queue.close(),
  };
}

/** A controller that runs a full pass on a period, and sooner when kicked by an event. */
export interface PeriodicController extends Controller {
  /** Run a pass within kickDelayMs (several kicks in that window make one pass). */
  kick(): void;
}

/** A periodic loop with an owner: passes never overlap; kick() asks for an early one; close() stops both. */
export function periodic(name: string, intervalMs: number, fn: () => Promise<void>, onError: (e: unknown) => void, kickDelayMs = 100): PeriodicController {
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let stopped = false;
  let passes: Promise<void> = Promise.resolve();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const pass = () =>
    (passes = passes.then(async () => {
      if (stopped) return;
      try {
        await fn();
      } catch (e) {
        onError(e);
      }
    }));
  const tick = async () => {
    await pass();
    if (stopped) return done();
    timer = setTimeout(tick, intervalMs);
  };
  return {
    name,
    run: () => {
      timer = setTimeout(tick, 0);
      return finished;
    },
    kick: () => {
      if (stopped || soon) return;
      soon = setTimeout(() => {
        soon = undefined;
        void pass();
      }, kickDelayMs);
    },
    close: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (soon) clearTimeout(soon);
      done();
    },
  };
}

export function controllerOf(obj: { metadata: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller);
}

/** The objects, in the owner's namespace, that the owner controls. */
export function controlledBy<T extends KubeObject>(objs: T[], owner: KubeObject): T[] {
  return objs.filter((o) => o.metadata.namespace === owner.metadata.namespace && controllerOf(o)?.uid === owner.metadata.uid);
}

/** The reference a controller puts on what it creates (metav1.NewControllerRef): it controls it and blocks its deletion. */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The queue key ("namespace/name") of the object's controller when that controller is of this kind. */
export function controllerKey(obj: KubeObject, kind: string): string | undefined {
  const ref = controllerOf(obj);
  return ref?.kind === kind ? `${obj.metadata.namespace}/${ref.name}` : undefined;
}

/** Handlers that enqueue the object itself on every add, update and delete. */
export function enqueueObject<T extends KubeObject>(queue: WorkQueue): EventHandlers<T> {
  return { onAdd: (o) => queue.add(objectKey(o)), onUpdate: (_old, o) => queue.add(objectKey(o)), onDelete: (o) => queue.add(objectKey(o)) };
}

/** Handlers that enqueue the object's controller, when it is of this kind, on every add, update and delete. */
export function enqueueController<T extends KubeObject>(queue: WorkQueue, kind: string): EventHandlers<T> {
  const add = (o: T) => {
    const key = controllerKey(o, kind);
    if (key) queue.add(key);
  };
  return { onAdd: add, onUpdate: (_old, o) => add(o), onDelete: add };
}
