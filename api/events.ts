// Records core/v1 Events about objects, as client-go's event recorder: repeats of the same event within ten minutes
// bump `count` and `lastTimestamp` instead of creating new objects. Failures are logged and dropped: events are
// best-effort and must never block the component that records them.
import type { ApiClient } from './client.js';
import { isNotFound } from './errors.js';
import { logger } from './log.js';
import { Resources } from './resources.js';
import type { Event, KubeObject } from './types.js';
import { formatTime } from './time.js';

const log = logger('events');

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly client: ApiClient,
    private readonly component: string,
    private readonly host?: string,
  ) {}

  /** Fire-and-forget; the returned promise is for tests. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): Promise<void> {
    return this.write(obj, type, reason, message, fieldPath).catch((e) => log.debug({ err: (e as Error).message, reason }, 'event dropped'));
  }

  private async write(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): Promise<void> {
    const namespace = obj.metadata.namespace || 'default';
    const key = [obj.kind, namespace, obj.metadata.name, obj.metadata.uid, fieldPath, type, reason, message].join('|');
    const now = new Date();
    const ts = formatTime(now);
    const prev = this.seen.get(key);
    if (prev && now.getTime() - prev.at < 10 * 60_000) {
      prev.count++;
      prev.at = now.getTime();
      try {
        await this.client.patch(Resources.events, prev.namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: ts });
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (this.seen.size > 4096) this.seen.clear();
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.${(now.getTime() * 1000 + Math.floor(Math.random() * 1000)).toString(16)}`, namespace },
      involvedObject: {
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: obj.apiVersion,
        resourceVersion: obj.metadata.resourceVersion,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      count: 1,
      firstTimestamp: ts,
      lastTimestamp: ts,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    };
    const created = await this.client.create(Resources.events, namespace, ev);
    this.seen.set(key, { name: created.metadata.name!, namespace, count: 1, at: now.getTime() });
  }
}
