// certificates.k8s.io/v1 CertificateSigningRequest: a PKCS#10 request for a signer, approved or denied, then issued.
import { bytes, int32, list, map, obj, pkg, ref, str, strings, typeMeta, type Definition } from './dsl.js';
import { meta, time } from './meta.js';
import { KEY_USAGES } from '../registry/certificates/validation.js';

export const certificates = pkg('io.k8s.api.certificates.v1');

export const certificatesDefinitions: Definition[] = [
  obj(certificates('CertificateSigningRequest'), 'A request for an X.509 certificate from a signer: kubelets obtain their client and serving certificates this way; it is approved or denied, then issued by the signer.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(certificates('CertificateSigningRequestSpec'), 'The certificate request. Immutable after creation; only request, signerName, expirationSeconds and usages may be set by the creator.', { default: {} }),
    status: ref(certificates('CertificateSigningRequestStatus'), 'Whether the request was approved or denied, and the certificate the signer issued (or the failure).', { default: {} }),
  }, { required: ['spec'], gvk: [{ group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest' }] }),

  obj(certificates('CertificateSigningRequestSpec'), 'The certificate request and who made it.', {
    expirationSeconds: int32('Requested validity of the certificate, at least 600 seconds; the signer may issue a different duration.'),
    extra: map({ type: 'array', items: { type: 'string', default: '' } }, 'Extra attributes of the user who created the request. Set by the API server; immutable.'),
    groups: strings('Groups of the user who created the request. Set by the API server; immutable.', { listType: 'atomic' }),
    request: bytes('A PKCS#10 certificate request in a "CERTIFICATE REQUEST" PEM block (base64-encoded again in JSON and YAML).'),
    signerName: str('The signer asked to issue the certificate, a qualified name such as kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet or kubernetes.io/kubelet-serving. Field selectors may filter on it.'),
    uid: str('UID of the user who created the request. Set by the API server; immutable.'),
    usages: list({ type: 'string', default: '', enum: KEY_USAGES }, 'Key usages requested: client certificates typically ask for "digital signature", "key encipherment", "client auth"; serving certificates for "server auth" instead of "client auth".', { listType: 'atomic' }),
    username: str('Name of the user who created the request. Set by the API server; immutable.'),
  }, { required: ['request', 'signerName'] }),

  obj(certificates('CertificateSigningRequestStatus'), 'The decision on a request and its outcome.', {
    certificate: bytes('The issued certificate, PEM-encoded (base64-encoded again in JSON and YAML). Set through /status once the request is approved; immutable once set.'),
    conditions: list(certificates('CertificateSigningRequestCondition'), 'Conditions of the request: Approved, Denied (through /approval; mutually exclusive) and Failed (through /status).', { listType: 'map', mapKeys: ['type'] }),
  }),

  obj(certificates('CertificateSigningRequestCondition'), 'One condition of a request.', {
    lastTransitionTime: time('When the condition last changed status; set by the server when absent.'),
    lastUpdateTime: time('When the condition was last updated; set by the server when absent.'),
    message: str('Human-readable details.'),
    reason: str('Brief reason for the request state.'),
    status: str('True, False or Unknown; Approved, Denied and Failed are only ever True.'),
    type: str('Approved, Denied, Failed, or another type.'),
  }, { required: ['type', 'status'] }),
];
