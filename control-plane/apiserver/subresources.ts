// Subresources with behaviour of their own: pods/binding (the scheduler's decision), pods/eviction, the
// autoscaling/v1 Scale view of deployments and replica sets that `kubectl scale` uses, and pods/log and pods/exec,
// which the kubelet of the pod's node serves (podproxy.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, conflict, StatusError } from '../../api/errors.js';
import { formatLabelSelector } from '../../api/labels.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../../api/patch.js';
import type { KubeObject } from '../../api/types.js';
import { podExec, podLog, type KubeletClientConfig } from './podproxy.js';
import type { Rest } from './rest.js';
import type { RequestInfo } from './server.js';
import { sendJSON } from './server.js';
import { formatTime } from '../../api/time.js';

type Any = any;

export interface SubresourceContext {
  rest: Rest;
  info: RequestInfo;
  method: string;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
  contentType: string;
  /** Credentials for reaching kubelets (pods/log, pods/exec). */
  kubelet?: KubeletClientConfig;
}

const success = (code: number) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });

async function binding({ rest, info, method, body, res }: SubresourceContext): Promise<void> {
  if (method !== 'POST') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const b = body as Any;
  const nodeName = b?.target?.name;
  if (!nodeName) throw new StatusError(422, 'Invalid', 'Binding "" is invalid: target.name: Required value');
  const pod = (await rest.get(info.def, info.namespace, info.name!)) as Any;
  if (pod.metadata.deletionTimestamp) throw conflict('pods', info.name!, 'pod is being deleted, cannot be assigned to a host');
  if (pod.spec.nodeName) throw conflict('pods', info.name!, `pod ${info.name} is already assigned to node "${pod.spec.nodeName}"`);
  pod.spec.nodeName = nodeName;
  const conditions: Any[] = (pod.status ??= {}).conditions ?? [];
  const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: formatTime() };
  pod.status.conditions = [...conditions.filter((c) => c.type !== 'PodScheduled'), scheduled];
  // Binding writes spec.nodeName and the PodScheduled condition together, as kube-apiserver's binding REST does.
  const stored = await rest.update(info.def, info.namespace, info.name!, { ...pod, status: undefined } as KubeObject, undefined);
  await rest.update(info.def, info.namespace, info.name!, { ...stored, status: pod.status } as KubeObject, 'status');
  sendJSON(res, 201, success(201));
}

async function eviction({ rest, info, method, body, res }: SubresourceContext): Promise<void> {
  if (method !== 'POST') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const opts = (body as Any)?.deleteOptions ?? {};
  await rest.delete(info.def, info.namespace, info.name!, opts);
  sendJSON(res, 201, success(201));
}

function toScale(obj: Any) {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: formatLabelSelector(obj.spec?.selector) },
  };
}

async function scale({ rest, info, method, body, res, contentType }: SubresourceContext): Promise<void> {
  const current = (await rest.get(info.def, info.namespace, info.name!)) as Any;
  if (method === 'GET') return sendJSON(res, 200, toScale(current));
  let wanted: Any;
  if (method === 'PUT') wanted = body;
  else if (method === 'PATCH') {
    const base = toScale(current);
    if (contentType.startsWith('application/json-patch+json')) wanted = jsonPatch(base, body);
    else if (contentType.startsWith('application/strategic-merge-patch+json')) wanted = strategicMergePatch(base, body);
    else wanted = mergePatch(base, body);
  } else throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const replicas = wanted?.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) throw new StatusError(422, 'Invalid', `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
  const rv = wanted?.metadata?.resourceVersion;
  if (method === 'PUT' && rv && rv !== current.metadata.resourceVersion) throw conflict(info.def.plural, info.name!, 'the object has been modified; please apply your changes to the latest version and try again', info.def.group);
  const updated = await rest.patch(info.def, info.namespace, info.name!, 'application/merge-patch+json', { spec: { replicas } });
  sendJSON(res, 200, toScale(updated));
}

async function finalize({ rest, info, method, body, res }: SubresourceContext): Promise<void> {
  if (method !== 'PUT') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  sendJSON(res, 200, await rest.update(info.def, undefined, info.name!, body as KubeObject, 'finalize'));
}

export const subresourceHandlers: Record<string, (ctx: SubresourceContext) => Promise<void>> = { binding, eviction, scale, finalize, log: podLog, exec: podExec };

/** Connect-style subresources: no request body to decode (exec's is an upgraded stream), the handler owns the exchange. */
export const connectSubresources: ReadonlySet<string> = new Set(['log', 'exec']);
export { badRequest };
