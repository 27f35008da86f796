// computeApproval and computeSigning on plain CSRs: which kubelet requests are approved (after a review, or by
// matching the node's addresses), which are refused, and how approved ones are signed.
import t from 'tap';
import type { CSRSubject } from '../../../api/pki.js';
import { SIGNERS, type CertificateSigningRequest, type Node } from '../../../api/types.js';
import { computeApproval, computeSigning, DEFAULT_DURATION_SECONDS } from './actions.js';

const csr = (signerName: string, usages: string[], username: string, extra: Partial<CertificateSigningRequest['spec']> = {}, conditions: { type: string; status: 'True' }[] = []): CertificateSigningRequest =>
  ({ metadata: { name: 'csr-1' }, spec: { request: '', signerName, usages, username, ...extra }, status: { conditions } }) as CertificateSigningRequest;
const subject = (cn: string, o = ['system:nodes'], ips: string[] = [], dnsNames: string[] = []): CSRSubject => ({ commonName: cn, organizations: o, ips, dnsNames });
const clientUsages = ['digital signature', 'client auth'];
const servingUsages = ['digital signature', 'key encipherment', 'server auth'];
const node: Node = { metadata: { name: 'worker1' }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '192.168.56.11' }, { type: 'Hostname', address: 'worker1' }] } } as Node;

t.test('kubelet client certificates are approved after a review of nodeclient or selfnodeclient', async (t) => {
  const first = computeApproval(csr(SIGNERS.kubeletClient, clientUsages, 'system:bootstrap:abcdef'), subject('system:node:worker1'));
  t.same(first, { type: 'review', subresource: 'nodeclient', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' });
  const renewal = computeApproval(csr(SIGNERS.kubeletClient, clientUsages, 'system:node:worker1'), subject('system:node:worker1'));
  t.equal(renewal.type === 'review' && renewal.subresource, 'selfnodeclient');
  t.same(computeApproval(csr(SIGNERS.kubeletClient, clientUsages, 'x'), subject('system:node:worker1', ['system:masters'])), { type: 'none' }, 'O must be exactly system:nodes');
  t.same(computeApproval(csr(SIGNERS.kubeletClient, [...clientUsages, 'server auth'], 'x'), subject('system:node:worker1')), { type: 'none' }, 'no server usage');
  t.same(computeApproval(csr(SIGNERS.kubeletClient, clientUsages, 'x'), subject('system:node:worker1', ['system:nodes'], ['10.0.0.1'])), { type: 'none' }, 'no SANs');
  t.same(computeApproval(csr(SIGNERS.kubeletClient, clientUsages, 'x', {}, [{ type: 'Denied', status: 'True' }]), subject('system:node:worker1')), { type: 'none' }, 'decided already');
});

t.test('kubelet serving certificates are approved when they name only the node', async (t) => {
  const mine = csr(SIGNERS.kubeletServing, servingUsages, 'system:node:worker1');
  t.equal(computeApproval(mine, subject('system:node:worker1', ['system:nodes'], ['192.168.56.11'], ['worker1']), node).type, 'approve');
  t.same(computeApproval(mine, subject('system:node:worker1', ['system:nodes'], ['192.168.56.11']), undefined), { type: 'none' }, 'waits for the Node');
  t.same(computeApproval(mine, subject('system:node:worker1', ['system:nodes'], ['192.168.56.11']), { ...node, status: {} }), { type: 'none' }, 'and for its first addresses');
  const foreign = computeApproval(mine, subject('system:node:worker1', ['system:nodes'], ['10.9.9.9']), node);
  t.same(foreign, { type: 'deny', message: 'the serving certificate names 10.9.9.9, which is not an address of node worker1' });
  t.same(computeApproval(csr(SIGNERS.kubeletServing, servingUsages, 'system:node:worker2'), subject('system:node:worker1', ['system:nodes'], ['192.168.56.11']), node), { type: 'none' }, 'requested by another node: left for a human');
});

t.test('approved requests are signed with the signer usages and a bounded duration; bad ones fail', async (t) => {
  const approved = [{ type: 'Approved', status: 'True' as const }];
  t.same(computeSigning(csr(SIGNERS.kubeletClient, clientUsages, 'x', {}, approved), subject('system:node:w1')), { type: 'sign', client: true, server: false, durationSeconds: DEFAULT_DURATION_SECONDS });
  t.same(computeSigning(csr(SIGNERS.kubeletServing, servingUsages, 'x', { expirationSeconds: 60 }, approved), subject('system:node:w1')), { type: 'sign', client: false, server: true, durationSeconds: 600 }, 'at least ten minutes');
  t.same(computeSigning(csr(SIGNERS.apiserverClient, ['client auth'], 'x', { expirationSeconds: 3600 }, approved), subject('alice', [])), { type: 'sign', client: true, server: false, durationSeconds: 3600 });
  t.equal(computeSigning(csr(SIGNERS.kubeletServing, clientUsages, 'x', {}, approved), subject('system:node:w1')).type, 'fail');
  t.equal(computeSigning(csr(SIGNERS.kubeletClient, clientUsages, 'x', {}, approved), subject('alice', [])).type, 'fail', 'the kubelet client signer only signs node identities');
  t.same(computeSigning(csr(SIGNERS.kubeletClient, clientUsages, 'x'), subject('system:node:w1')), { type: 'none' }, 'not approved');
  t.same(computeSigning(csr('example.com/other', clientUsages, 'x', {}, approved), subject('system:node:w1')), { type: 'none' }, 'someone else\'s signer');
});

t.test('a node may get a system:kube-proxy client certificate for its embedded proxy; nobody else may', async (t) => {
  const fromNode = { ...csr(SIGNERS.apiserverClient, clientUsages, 'system:node:worker1'), spec: { ...csr(SIGNERS.apiserverClient, clientUsages, 'system:node:worker1').spec, groups: ['system:nodes', 'system:authenticated'] } };
  t.equal(computeApproval(fromNode, subject('system:kube-proxy', [])).type, 'approve');
  t.same(computeApproval(fromNode, subject('system:kube-proxy', ['system:masters'])), { type: 'none' }, 'no groups in the subject');
  t.same(computeApproval(fromNode, subject('admin', [])), { type: 'none' }, 'only the kube-proxy identity');
  const fromUser = { ...fromNode, spec: { ...fromNode.spec, groups: ['system:authenticated'] } };
  t.same(computeApproval(fromUser, subject('system:kube-proxy', [])), { type: 'none' }, 'only for nodes');
});
