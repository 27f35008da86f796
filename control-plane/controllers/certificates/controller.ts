// pkg/controller/certificates: the CSR approver (kubelet client certificates after a SubjectAccessReview, kubelet
// serving certificates whose names are the node's own) and the signer (the cluster CA signs approved requests of
// the kubelet and kube-apiserver-client signers and writes status.certificate).
import { ignoreNotFound } from '../../../api/errors.js';
import { logger } from '../../../api/log.js';
import { parseCSR, signCSR, type CSRSubject, type KeyPair } from '../../../api/pki.js';
import { Resources } from '../../../api/resources.js';
import { formatTime } from '../../../api/time.js';
import type { CertificateSigningRequest, KubeObject, Node } from '../../../api/types.js';
import { queueController, type Controller, type ControllerContext } from '../controller.js';
import { computeApproval, computeSigning } from './actions.js';

const log = logger('csr-controller');

async function subjectOf(csr: CertificateSigningRequest): Promise<CSRSubject | undefined> {
  try {
    return await parseCSR(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

export function certificateController(ctx: ControllerContext & { ca: KeyPair }): Controller {
  const { client, informers, ca } = ctx;
  const csrs = informers.for<CertificateSigningRequest>(Resources.certificatesigningrequests);
  const nodes = informers.for<Node>(Resources.nodes);
  const c = queueController('csr-controller', 2, sync);
  csrs.addHandlers({ onAdd: (r) => c.queue.add(r.metadata.name!), onUpdate: (_o, r) => c.queue.add(r.metadata.name!) });
  // A serving CSR waits for its Node (and its addresses): a node's appearance or update looks at pending ones again.
  nodes.addHandlers({
    onAdd: () => requeuePending(),
    onUpdate: (o, n) => JSON.stringify(o.status?.addresses) !== JSON.stringify(n.status?.addresses) && requeuePending(),
  });
  function requeuePending(): void {
    for (const r of csrs.list()) if (!r.status?.certificate) c.queue.add(r.metadata.name!);
  }

  const condition = (type: 'Approved' | 'Denied' | 'Failed', reason: string, message: string) => {
    const now = formatTime();
    return { type, status: 'True' as const, reason, message, lastUpdateTime: now, lastTransitionTime: now };
  };

  async function sync(name: string): Promise<void> {
    const csr = csrs.get(name);
    if (!csr) return;
    const subject = await subjectOf(csr);
    if (subject) {
      const node = nodes.get(subject.commonName.replace(/^system:node:/, ''));
      const decision = computeApproval(csr, subject, node);
      let verdict: { type: 'Approved' | 'Denied'; message: string } | undefined;
      if (decision.type === 'approve') verdict = { type: 'Approved', message: decision.message };
      if (decision.type === 'deny') verdict = { type: 'Denied', message: decision.message };
      if (decision.type === 'review') {
        const review = await client.create<KubeObject & { status?: { allowed?: boolean } }>(Resources.subjectaccessreviews, undefined, {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          metadata: {},
          spec: { user: csr.spec.username, uid: csr.spec.uid, groups: csr.spec.groups, extra: csr.spec.extra, resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', subresource: decision.subresource, verb: 'create' } },
        } as never);
        if (review.status?.allowed) verdict = { type: 'Approved', message: decision.message };
      }
      if (verdict) {
        const reason = verdict.type === 'Approved' ? 'AutoApproved' : 'AutoDenied';
        const updated = { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition(verdict.type, reason, verdict.message)] } };
        await ignoreNotFound(client.request('PUT', `/apis/certificates.k8s.io/v1/certificatesigningrequests/${encodeURIComponent(name)}/approval`, updated));
        log.info({ csr: name, decision: verdict.type, signer: csr.spec.signerName }, 'certificate signing request decided');
        return; // the update comes back through the informer and is signed then
      }
    }
    const signing = computeSigning(csr, subject);
    if (signing.type === 'none') return;
    let status: CertificateSigningRequest['status'];
    if (signing.type === 'fail') status = { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition('Failed', 'SignerValidationFailure', signing.message)] };
    else {
      const certPem = await signCSR(ca, Buffer.from(csr.spec.request, 'base64').toString('utf8'), signing);
      status = { ...csr.status, certificate: Buffer.from(certPem).toString('base64') };
    }
    await ignoreNotFound(client.updateStatus(Resources.certificatesigningrequests, { ...csr, status }));
  }
  return c;
}
