// pkg/controller/certificates (approver/sarapprove.go and signer/signer.go) as pure decisions:
//   - which kubelet CSRs to auto-approve: client certificates of a node (first ones through a bootstrap token,
//     renewals by the node itself), each only if a SubjectAccessReview says the requester may; and serving
//     certificates of a node whose names are the node's own name and addresses;
//   - how an approved CSR is signed: with which usages and for how long, or why it fails.
import type { CSRSubject } from '../../../api/pki.js';
import { SIGNERS, type CertificateSigningRequest, type Node } from '../../../api/types.js';

const NODE_PREFIX = 'system:node:';
const CLIENT_USAGES = new Set(['key encipherment', 'digital signature', 'client auth']);
const SERVING_USAGES = new Set(['key encipherment', 'digital signature', 'server auth']);
/** kube-controller-manager's --cluster-signing-duration default: one year. */
export const DEFAULT_DURATION_SECONDS = 365 * 24 * 3600;
/** The shortest duration a request may ask for (certificates API validation). */
const MIN_DURATION_SECONDS = 600;

export function csrDecided(csr: CertificateSigningRequest): boolean {
  return (csr.status?.conditions ?? []).some((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True');
}

const approved = (csr: CertificateSigningRequest) => (csr.status?.conditions ?? []).some((c) => c.type === 'Approved' && c.status === 'True');
const failed = (csr: CertificateSigningRequest) => (csr.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True');

const usagesWithin = (usages: string[] | undefined, allowed: Set<string>, required: string) => !!usages?.length && usages.every((u) => allowed.has(u)) && usages.includes(required);

/** A node client certificate request: CN system:node:<name>, O exactly system:nodes, client usages, no SANs. */
export function isNodeClientRequest(csr: CertificateSigningRequest, subject: CSRSubject): boolean {
  return (
    csr.spec.signerName === SIGNERS.kubeletClient &&
    subject.commonName.startsWith(NODE_PREFIX) &&
    subject.commonName.length > NODE_PREFIX.length &&
    subject.organizations.length === 1 &&
    subject.organizations[0] === 'system:nodes' &&
    !subject.dnsNames.length &&
    !subject.ips.length &&
    usagesWithin(csr.spec.usages, CLIENT_USAGES, 'client auth')
  );
}

/** What the approver does with a CSR. `review` asks for a SubjectAccessReview first. */
export type ApprovalDecision =
  | { type: 'none' }
  | { type: 'review'; subresource: 'nodeclient' | 'selfnodeclient'; message: string }
  | { type: 'approve'; message: string }
  | { type: 'deny'; message: string };

/** Whether and how to approve a pending CSR (node = the Node its serving certificate is for, if found). */
export function computeApproval(csr: CertificateSigningRequest, subject: CSRSubject, node?: Node): ApprovalDecision {
  if (csrDecided(csr)) return { type: 'none' };
  if (csr.spec.signerName === SIGNERS.kubeletClient && isNodeClientRequest(csr, subject)) {
    // A node renewing its own certificate asks for selfnodeclient; anyone else (a bootstrap token) for nodeclient.
    const self = csr.spec.username === subject.commonName;
    return { type: 'review', subresource: self ? 'selfnodeclient' : 'nodeclient', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' };
  }
  // A node's embedded kube-proxy gets its system:kube-proxy client certificate this way (as k3s's agents do).
  if (csr.spec.signerName === SIGNERS.apiserverClient && subject.commonName === 'system:kube-proxy' && !subject.organizations.length && !subject.ips.length && !subject.dnsNames.length && usagesWithin(csr.spec.usages, CLIENT_USAGES, 'client auth') && (csr.spec.groups ?? []).includes('system:nodes'))
    return { type: 'approve', message: `Auto approving the kube-proxy client certificate of node ${csr.spec.username?.replace(NODE_PREFIX, '')}.` };
  if (csr.spec.signerName === SIGNERS.kubeletServing) {
    const name = subject.commonName.slice(NODE_PREFIX.length);
    const wellFormed =
      subject.commonName.startsWith(NODE_PREFIX) &&
      !!name &&
      csr.spec.username === subject.commonName &&
      subject.organizations.length === 1 &&
      subject.organizations[0] === 'system:nodes' &&
      usagesWithin(csr.spec.usages, SERVING_USAGES, 'server auth');
    if (!wellFormed) return { type: 'none' };
    // Wait for the Node to be registered and to report its addresses (its first status update may come after the CSR).
    if (!node?.status?.addresses?.length) return { type: 'none' };
    const addresses = new Set(node.status.addresses.map((a) => a.address));
    const badIP = subject.ips.find((ip) => !addresses.has(ip));
    const badName = subject.dnsNames.find((d) => d !== name && !addresses.has(d));
    if (badIP || badName) return { type: 'deny', message: `the serving certificate names ${badIP ?? badName}, which is not an address of node ${name}` };
    if (!subject.ips.length && !subject.dnsNames.length) return { type: 'deny', message: 'a serving certificate must name at least one address of the node' };
    return { type: 'approve', message: `Auto approving serving certificate of node ${name}: its names are the node's own.` };
  }
  return { type: 'none' };
}

export type SigningDecision = { type: 'none' } | { type: 'sign'; client: boolean; server: boolean; durationSeconds: number } | { type: 'fail'; message: string };

/** How the signer treats a CSR: sign approved requests of the signers it serves, once; fail the malformed. */
export function computeSigning(csr: CertificateSigningRequest, subject: CSRSubject | undefined): SigningDecision {
  if (!approved(csr) || failed(csr) || csr.status?.certificate) return { type: 'none' };
  const signer = csr.spec.signerName;
  if (signer !== SIGNERS.kubeletClient && signer !== SIGNERS.kubeletServing && signer !== SIGNERS.apiserverClient) return { type: 'none' };
  if (!subject) return { type: 'fail', message: 'the request is not a valid PEM-encoded PKCS#10 certificate request' };
  const usages = csr.spec.usages ?? [];
  if (signer === SIGNERS.kubeletServing && !usagesWithin(usages, SERVING_USAGES, 'server auth')) return { type: 'fail', message: `invalid usage for signer "${signer}": ${JSON.stringify(usages)}` };
  if (signer !== SIGNERS.kubeletServing && !usagesWithin(usages, CLIENT_USAGES, 'client auth')) return { type: 'fail', message: `invalid usage for signer "${signer}": ${JSON.stringify(usages)}` };
  if (signer === SIGNERS.kubeletClient && !isNodeClientRequest(csr, subject)) return { type: 'fail', message: `invalid request for signer "${signer}": the subject must be CN=system:node:<name>, O=system:nodes, without subject alternative names` };
  const asked = csr.spec.expirationSeconds;
  const durationSeconds = asked ? Math.min(Math.max(asked, MIN_DURATION_SECONDS), DEFAULT_DURATION_SECONDS) : DEFAULT_DURATION_SECONDS;
  return { type: 'sign', client: signer !== SIGNERS.kubeletServing, server: signer === SIGNERS.kubeletServing, durationSeconds };
}
