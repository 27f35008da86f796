// Who the security tests speak as (kube-apiserver's authenticators from the client side): users of a static token
// file (--token-auth-file's CSV), kubeconfigs holding a bearer token, a client certificate or no credentials at all,
// and API clients for each. kubectl runs with one of these kubeconfigs to act as that identity.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../api/client.js';
import { kubeconfigYaml } from '../api/pki.js';
import type { TestServer } from './server-fixture.js';

export interface TokenUser {
  token: string;
  name: string;
  uid: string;
  groups: string[];
}

/**
 * A data dir holding a token file for `users` (token,user,uid,"group1,group2"), and the server flags that use it:
 * start the server with `startServer({ dir, args })`.
 */
export function tokenFileDir(users: TokenUser[]): { dir: string; args: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-test-'));
  const file = path.join(dir, 'tokens.csv');
  fs.writeFileSync(file, users.map((u) => `${u.token},${u.name},${u.uid},"${u.groups.join(',')}"`).join('\n') + '\n', { mode: 0o600 });
  return { dir, args: ['--token-auth-file', file] };
}

export const caPem = (srv: TestServer) => fs.readFileSync(path.join(srv.dir, 'pki', 'ca.crt'), 'utf8');
const serverURL = (srv: TestServer) => `https://127.0.0.1:${srv.port}`;

/** A kubeconfig (in the server's dir) for a bearer token, a client certificate, or — with neither — no credentials. */
export function kubeconfigFor(srv: TestServer, name: string, creds: { token?: string; certPem?: string; keyPem?: string } = {}): string {
  const file = path.join(srv.dir, `${name.replace(/[^a-z0-9.-]/gi, '_')}.kubeconfig`);
  fs.writeFileSync(file, kubeconfigYaml({ server: serverURL(srv), caPem: caPem(srv), userName: name, ...creds }), { mode: 0o600 });
  return file;
}

/** An API client with a bearer token, a client certificate, or no credentials. */
export function clientFor(srv: TestServer, creds: { token?: string; certPem?: string; keyPem?: string } = {}): ApiClient {
  return new ApiClient({ server: serverURL(srv), ca: caPem(srv), token: creds.token, cert: creds.certPem, key: creds.keyPem, userAgent: 'kubets-test' });
}

export interface Kubectl {
  (args: string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** The output of a command that must succeed. */
  ok(args: string[], input?: string): Promise<string>;
  /** The stderr of a command that must fail. */
  fails(args: string[], input?: string): Promise<string>;
}

/** kubectl against the server as the identity of `kubeconfig` (the admin's when not given). */
export function kubectlWith(srv: TestServer, kubeconfig = srv.kubeconfig): Kubectl {
  const run = (args: string[], input?: string) => srv.kubectl(args, { input, env: { KUBECONFIG: kubeconfig } });
  return Object.assign(run, {
    async ok(args: string[], input?: string) {
      const r = await run(args, input);
      if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
      return r.stdout;
    },
    async fails(args: string[], input?: string) {
      const r = await run(args, input);
      if (r.exitCode === 0) throw new Error(`kubectl ${args.join(' ')} succeeded: ${r.stdout}`);
      return r.stderr;
    },
  });
}
