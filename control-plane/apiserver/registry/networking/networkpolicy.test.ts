// NetworkPolicy defaulting and validation as kube-apiserver words it, case by case.
import t from 'tap';
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { networkPolicyStrategy as s } from './networkpolicy.js';

const lines = (causes: StatusCause[]) => causes.map((c) => `${c.field}: ${c.message}`);
const np = (spec: unknown): KubeObject => ({ metadata: { name: 'p', namespace: 'team' }, spec }) as KubeObject;
const check = (spec: unknown) => {
  const o = np(spec);
  s.defaults(o);
  return lines(s.validate(o));
};

t.test('defaults: policyTypes from the rules present, TCP ports, an empty podSelector', async (t) => {
  const a = np({ ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }] }] });
  s.defaults(a);
  t.same((a as never as { spec: unknown }).spec, { ingress: [{ ports: [{ port: 80, protocol: 'TCP' }, { protocol: 'UDP', port: 53 }] }], podSelector: {}, policyTypes: ['Ingress'] });
  const b = np({ podSelector: {}, egress: [{ ports: [{ port: 'dns' }] }] });
  s.defaults(b);
  t.same((b as never as { spec: { policyTypes: string[] } }).spec.policyTypes, ['Ingress', 'Egress'], 'egress rules: Egress too');
  const c = np({ podSelector: {}, policyTypes: ['Egress'] });
  s.defaults(c);
  t.same((c as never as { spec: { policyTypes: string[] } }).spec.policyTypes, ['Egress'], 'given types stay');
});

t.test('a valid policy', async (t) => {
  t.same(check({
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }, { ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }], ports: [{ port: 'http' }, { port: 8000, endPort: 8080 }, { protocol: 'SCTP' }] }],
    egress: [{ to: [{ ipBlock: { cidr: '192.168.56.10/24' } }] }],
  }), []);
});

t.test('ipBlock: CIDRs and excepts', async (t) => {
  t.same(check({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }, { ipBlock: { cidr: 'banana' } }, { ipBlock: { cidr: '' } }] }] }), [
    'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    'spec.ingress[0].from[1].ipBlock.cidr: Invalid value: "banana": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    'spec.ingress[0].from[2].ipBlock.cidr: Required value',
  ]);
  t.same(check({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/16', '10.0.0.0/8', 'x', '10.0.5.0/24', '2001:db8::/64'] } }] }] }), [
    'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
    'spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
    'spec.egress[0].to[0].ipBlock.except[2]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
    'spec.egress[0].to[0].ipBlock.except[3]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    'spec.egress[0].to[0].ipBlock.except[5]: Invalid value: "2001:db8::/64": must be a strict subset of `cidr`',
  ]);
});

t.test('peers', async (t) => {
  t.same(check({ ingress: [{ from: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { podSelector: { matchLabels: { 'bad key!': 'x' } } }] }] }), [
    'spec.ingress[0].from[0]: Required value: must specify a peer',
    'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
    `spec.ingress[0].from[2].podSelector.matchLabels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  ]);
});

t.test('ports and protocols', async (t) => {
  t.same(check({ ingress: [{ ports: [{ protocol: 'ICMP', port: 80 }, { port: 0 }, { port: 70000 }, { port: 9000, endPort: 8000 }, { port: 'web', endPort: 90 }, { endPort: 90 }, { port: 'Web_Port--too-long' }, { port: 1000, endPort: 70000 }] }] }), [
    'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    'spec.ingress[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ingress[0].ports[2].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ingress[0].ports[3].endPort: Invalid value: 8000: must be greater than or equal to `port`',
    'spec.ingress[0].ports[4].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
    'spec.ingress[0].ports[5].endPort: Invalid value: 90: may not be specified when `port` is not specified',
    'spec.ingress[0].ports[6].port: Invalid value: "Web_Port--too-long": must be no more than 15 characters',
    'spec.ingress[0].ports[6].port: Invalid value: "Web_Port--too-long": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.ingress[0].ports[6].port: Invalid value: "Web_Port--too-long": must not contain consecutive hyphens',
    'spec.ingress[0].ports[7].endPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]);
});

t.test('policyTypes', async (t) => {
  t.same(check({ policyTypes: ['Ingress', 'Sideways'] }), ['spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"']);
  t.same(check({ policyTypes: ['Ingress', 'Egress', 'Ingress'] }), ['spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes']);
});
