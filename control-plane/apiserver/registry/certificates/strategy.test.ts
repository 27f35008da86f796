// CertificateSigningRequest strategies: the requester recorded on create, the request's signature checked, the spec
// fixed after create, and what each endpoint (main, /status, /approval) may change.
import 'reflect-metadata';
import t from 'tap';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createCA, createCSR, issueCert } from '../../../../api/pki.js';
import type { CertificateSigningRequest, KubeObject, StatusCause } from '../../../../api/types.js';
import { csrApprovalStrategy, csrStatusStrategy, csrStrategy } from './strategy.js';

type CSR = CertificateSigningRequest;
const lines = (causes: StatusCause[]) => causes.map((c) => `${c.field}: ${c.message}`);
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function newCSR(spec: Partial<CSR['spec']> = {}, name = 'req'): Promise<CSR> {
  const { csrPem } = await createCSR({ commonName: 'jane', organizations: ['devs'] });
  return { metadata: { name }, spec: { request: b64(csrPem), signerName: 'example.com/signer', usages: ['digital signature', 'client auth'], ...spec } };
}

/** A request as the store would keep it after a create by `user`. */
async function created(): Promise<CSR> {
  const csr = await newCSR();
  csrStrategy.prepareForCreate(csr, { user: { name: 'alice', groups: ['devs', 'system:authenticated'] } });
  return csr;
}

t.test('create: the requester comes from the request, never from the body', async (t) => {
  const csr = await newCSR({ username: 'mallory', uid: 'x', groups: ['system:masters'], extra: { a: ['b'] } });
  csr.status = { conditions: [{ type: 'Approved', status: 'True' }], certificate: b64('forged') };
  csrStrategy.prepareForCreate(csr, { user: { name: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['s'] } } });
  t.same(csr.spec, { request: csr.spec.request, signerName: 'example.com/signer', usages: ['digital signature', 'client auth'], username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['s'] } });
  t.same(csr.status, {}, 'no pre-approved or pre-issued requests');
  t.same(lines(csrStrategy.validate(csr)), []);

  const anonymous = await newCSR({ username: 'mallory' });
  csrStrategy.prepareForCreate(anonymous);
  t.equal(anonymous.spec.username, undefined, 'without a requester, nobody');
});

t.test('create: the request must be a signed PEM certificate request', async (t) => {
  const keys = { rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, ed25519: { name: 'Ed25519' } } as const;
  for (const [what, alg] of Object.entries(keys)) {
    const pair = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const req = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=jane', keys: pair, signingAlgorithm: alg });
    const csr = await newCSR({ request: b64(req.toString('pem')) });
    t.same(lines(csrStrategy.validate(csr)), [], `${what} request`);
  }

  const bad = await newCSR({ request: b64('hello') });
  t.same(lines(csrStrategy.validate(bad)), ['spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE REQUEST']);
  const ca = await createCA();
  const notARequest = await newCSR({ request: b64(ca.certPem) });
  t.match(lines(csrStrategy.validate(notARequest)), [/^spec\.request: Invalid value: \[\]byte\{0x2d, .*\}: PEM block type must be CERTIFICATE REQUEST$/]);

  // One flipped byte in the signature.
  const good = await newCSR();
  const pem = Buffer.from(good.spec.request, 'base64').toString();
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[der.length - 3] ^= 0xff;
  const tampered = await newCSR({ request: b64(`-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`) });
  t.match(lines(csrStrategy.validate(tampered)), [/^spec\.request: Invalid value: \[\]byte\{.*\}: x509: ECDSA verification failure$/]);
});

t.test('create: signer, usages, duration and name', async (t) => {
  const errors = async (spec: Partial<CSR['spec']>, name?: string) => lines(csrStrategy.validate(await newCSR(spec, name)));
  t.same(await errors({ signerName: '' }), ['spec.signerName: Required value']);
  t.same(await errors({ signerName: 'kubernetes.io/legacy-unknown' }), ['spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version']);
  t.same(await errors({ signerName: 'example.com/a/b' }), ["spec.signerName: Invalid value: \"example.com/a/b\": must be a fully qualified domain and path of the form 'example.com/signer-name'"]);
  t.same(await errors({ signerName: 'localhost/Signer' }), [
    'spec.signerName: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
    `spec.signerName: Invalid value: "Signer": validating label "Signer": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);
  t.same(await errors({ usages: [] }), ['spec.usages: Required value']);
  t.match(await errors({ usages: ['client auth', 'flying', 'client auth'] }), [/^spec\.usages\[1\]: Unsupported value: "flying": supported values: "any", "cert sign", "client auth", .*"timestamping"$/, 'spec.usages[2]: Duplicate value: "client auth"']);
  t.same(await errors({ expirationSeconds: 599 }), ['spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)']);
  t.same(await errors({ expirationSeconds: 600 }), []);
  t.same(await errors({}, 'node-csr-Ab_C:1'), [], 'any path segment names a request');
});

t.test('update: the spec and status never change through the main resource', async (t) => {
  const old = await created();
  const body = structuredClone(old) as CSR;
  body.metadata.labels = { a: 'b' };
  body.spec.signerName = 'example.com/other';
  body.spec.username = 'mallory';
  body.status = { conditions: [{ type: 'Approved', status: 'True' }] };
  const next = csrStrategy.prepareForUpdate(body, old) as CSR;
  t.same(next.spec, old.spec);
  t.same(next.status, old.status);
  t.same(next.metadata.labels, { a: 'b' }, 'metadata may change');
  t.same(lines(csrStrategy.validateUpdate(next, old)), []);
});

const approved = (c: CSR): CSR => ({ ...structuredClone(c), status: { ...c.status, conditions: [...(c.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'approved' }] } });

t.test('/approval: only conditions change, with server timestamps', async (t) => {
  const old = await created();
  const body = approved(old);
  body.spec.signerName = 'example.com/other';
  body.status!.certificate = b64('forged');
  const next = csrApprovalStrategy.prepareForUpdate(body, old) as CSR;
  t.same(next.spec, old.spec, 'spec as stored');
  t.equal(next.status?.certificate, undefined, 'no certificate through /approval');
  const [c] = next.status!.conditions!;
  t.match(c, { type: 'Approved', status: 'True', lastUpdateTime: /^\d{4}-.*Z$/, lastTransitionTime: /^\d{4}-.*Z$/ });
  t.same(lines(csrApprovalStrategy.validateUpdate(next, old)), []);

  // Approving again keeps the first transition time; denying an approved request is refused.
  c.lastTransitionTime = '2020-01-01T00:00:00Z';
  const again = csrApprovalStrategy.prepareForUpdate({ ...next, status: { conditions: [{ type: 'Approved', status: 'True' }] } } as KubeObject, next) as CSR;
  t.equal(again.status!.conditions![0].lastTransitionTime, '2020-01-01T00:00:00Z');
  const deny = csrApprovalStrategy.prepareForUpdate({ ...next, status: { conditions: [...next.status!.conditions!, { type: 'Denied', status: 'True' }] } } as KubeObject, next);
  t.same(lines(csrApprovalStrategy.validateUpdate(deny, next)), ['status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive']);
  const removed = csrApprovalStrategy.prepareForUpdate({ ...next, status: { conditions: [] } } as KubeObject, next);
  t.same(lines(csrApprovalStrategy.validateUpdate(removed, next)), ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
  const falseApproval = csrApprovalStrategy.prepareForUpdate({ ...old, status: { conditions: [{ type: 'Approved', status: 'False' }] } } as KubeObject, old);
  t.same(lines(csrApprovalStrategy.validateUpdate(falseApproval, old)), ['status.conditions[0].status: Unsupported value: "False": supported values: "True"']);
});

t.test('/status: the certificate and other conditions; Approved and Denied only through /approval', async (t) => {
  const old = csrApprovalStrategy.prepareForUpdate(approved(await created()), await created()) as CSR;
  const ca = await createCA();
  const cert = await issueCert(ca, { commonName: 'jane', client: true });
  const body = structuredClone(old) as CSR;
  body.status!.certificate = b64(cert.certPem);
  body.status!.conditions![0].message = 'rewritten';
  body.status!.conditions!.push({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure' } as never);
  const next = csrStatusStrategy.prepareForUpdate(body, old) as CSR;
  t.equal(next.status!.conditions![0].message, 'approved', 'the Approved condition stays as stored');
  t.match(next.status!.conditions![1], { type: 'Failed', lastUpdateTime: /Z$/ });
  t.same(lines(csrStatusStrategy.validateUpdate(next, old)), []);
  t.same(lines(csrStrategy.validateUpdate(next, old)), ['status.certificate: Forbidden: updates may not set certificate content'], 'the main endpoint may not set it');

  const added = csrStatusStrategy.prepareForUpdate({ ...old, status: { conditions: [...old.status!.conditions!, { type: 'Denied', status: 'True' }] } } as KubeObject, old);
  t.same(lines(csrStatusStrategy.validateUpdate(added, old)), [
    'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
    'status.conditions: Forbidden: updates may not add a condition of type "Denied"',
  ]);
  const issued = csrStatusStrategy.prepareForUpdate(body, old) as CSR;
  const reissue = csrStatusStrategy.prepareForUpdate({ ...issued, status: { ...issued.status, certificate: b64(ca.certPem) } } as KubeObject, issued);
  t.same(lines(csrStatusStrategy.validateUpdate(reissue, issued)), ['status.certificate: Forbidden: updates may not modify existing certificate content']);
  const junk = csrStatusStrategy.prepareForUpdate({ ...old, status: { ...old.status, certificate: b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') } } as KubeObject, old);
  t.same(lines(csrStatusStrategy.validateUpdate(junk, old)), ['status.certificate: Invalid value: "<certificate data>": only CERTIFICATE PEM blocks are allowed, found "PRIVATE KEY"']);
});
