// The browser's API client (kube: client-go's rest client, as kubernetes/dashboard's frontend uses the API): every
// request carries the logged-in user's bearer token to the dashboard's proxy; a failure is an ApiError holding the
// API's Status (code, reason, message), which the pages show as a message.

/** The shape of a Kubernetes object, as far as the pages read it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: any;
  status?: any;
  [k: string]: any;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string };
  items: T[];
}

/** A failed request: the API's Status when it sent one, else what went wrong. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'kubets-dashboard-token';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** The error a non-2xx response stands for: its Status's message, or the start of its text. */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const s = JSON.parse(text);
    if (s && s.kind === 'Status') return new ApiError(s.code ?? res.status, s.reason ?? '', s.message ?? `HTTP ${res.status}`);
  } catch {
    // not a Status: the text below
  }
  return new ApiError(res.status, res.statusText, text.trim().slice(0, 500) || `HTTP ${res.status} ${res.statusText}`);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  token?: string;
}

/** One request through the dashboard's proxy; resolves to the response of a 2xx, else rejects with an ApiError. */
export async function request(path: string, o: RequestOptions = {}): Promise<Response> {
  const token = o.token ?? session.token();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    headers['content-type'] = o.contentType ?? 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method: o.method ?? 'GET', headers, body, signal: o.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NetworkError', `the dashboard did not answer: ${(e as Error).message}`);
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function getJSON<T>(path: string, o: RequestOptions = {}): Promise<T> {
  return (await request(path, o)).json() as Promise<T>;
}

/** A kind of resource, as its REST paths need it. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Has a /scale subresource. */
  scalable?: boolean;
}

const r = (group: string, version: string, plural: string, kind: string, namespaced = true, scalable = false): ResourceType => ({ group, version, plural, kind, namespaced, scalable });

export const R = {
  namespaces: r('', 'v1', 'namespaces', 'Namespace', false),
  nodes: r('', 'v1', 'nodes', 'Node', false),
  pods: r('', 'v1', 'pods', 'Pod'),
  services: r('', 'v1', 'services', 'Service'),
  endpoints: r('', 'v1', 'endpoints', 'Endpoints'),
  events: r('', 'v1', 'events', 'Event'),
  configmaps: r('', 'v1', 'configmaps', 'ConfigMap'),
  deployments: r('apps', 'v1', 'deployments', 'Deployment', true, true),
  replicasets: r('apps', 'v1', 'replicasets', 'ReplicaSet', true, true),
  statefulsets: r('apps', 'v1', 'statefulsets', 'StatefulSet', true, true),
  daemonsets: r('apps', 'v1', 'daemonsets', 'DaemonSet'),
  jobs: r('batch', 'v1', 'jobs', 'Job'),
} as const;

export function resourceByPlural(group: string, plural: string): ResourceType | undefined {
  return Object.values(R).find((x) => x.group === group && x.plural === plural);
}

/** The collection's path (one namespace, or all of them when namespace is empty), or an object's with its name. */
export function resourcePath(t: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${t.plural}${name ? `/${encodeURIComponent(name)}` : ''}${subresource ? `/${subresource}` : ''}`;
}

/** Who the token belongs to: SelfSubjectReview where the API has it, else the token is at least accepted by /api. */
export async function whoAmI(token: string): Promise<string> {
  try {
    const review = await getJSON<{ status?: { userInfo?: { username?: string } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      method: 'POST',
      token,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username ?? '(unknown user)';
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 404) throw e;
  }
  await getJSON('/api', { token });
  return '(token accepted)';
}

/** Splits a streamed body into lines as they arrive. */
export async function* lines(res: Response, signal?: AbortSignal): AsyncGenerator<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abort);
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        yield buf.slice(0, nl);
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) yield buf;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

export function age(ts?: string): string {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
