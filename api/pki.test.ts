import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { certificateNotAfter, createCA, createCSR, parseCSR, signCSR } from './pki.js';

t.test('a CSR carries the node identity and is signed by the CA with the asked usage and duration', async (t) => {
  const ca = await createCA();
  const { csrPem, keyPem } = await createCSR({ commonName: 'system:node:worker1', organizations: ['system:nodes'], ips: ['192.168.56.11'], dnsNames: ['worker1'] });
  t.match(keyPem, /BEGIN PRIVATE KEY/);
  t.same(await parseCSR(csrPem), { commonName: 'system:node:worker1', organizations: ['system:nodes'], ips: ['192.168.56.11'], dnsNames: ['worker1'] });
  const now = Date.parse('2026-06-01T00:00:00Z');
  const certPem = await signCSR(ca, csrPem, { server: true, durationSeconds: 3600, now });
  const cert = new X509Certificate(certPem);
  t.ok(cert.verify(new X509Certificate(ca.certPem).publicKey), 'signed by the CA');
  t.match(cert.subject, /CN=system:node:worker1/);
  t.match(cert.subjectAltName ?? '', /IP Address:192\.168\.56\.11/);
  t.equal(certificateNotAfter(certPem).getTime(), now + 3600_000);
  t.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem)), 'matches the requester key');
});

t.test('a tampered CSR is refused', async (t) => {
  const ca = await createCA();
  const { csrPem } = await createCSR({ commonName: 'system:node:a' });
  const body = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  body[body.length - 10] ^= 0xff;
  const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  await t.rejects(signCSR(ca, bad, { client: true }));
});
