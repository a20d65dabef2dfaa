// Action parser: canonical printing, trees of the common actions, round trip, exact errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { actionArbitrary } from './arbitrary.js';
import { actionPrerequisites, formatActions, parseActions } from './index.js';

const CANONICAL: [string, string][] = [
  ['next;', 'next;'],
  ['next(5);', 'next(5);'],
  ['next(table=3, pipeline=egress);', 'next(pipeline=egress, table=3);'],
  ['output;', 'output;'],
  ['drop;', 'drop;'],
  ['', ''],
  ['  /* nothing */ ', ''],
  ['ct_next;', 'ct_next;'],
  ['ct_commit{ct_mark.blocked=1;ct_label.label=5;};next;', 'ct_commit { ct_mark.blocked = 1; ct_label.label = 5; }; next;'],
  ['ct_commit { ct_label=0x1/0x1; };', 'ct_commit { ct_label = 0x1/0x1; };'],
  ['ct_lb(backends=10.0.0.2:80,10.0.0.3:80; hash_fields="eth_src,eth_dst"; skip_snat);', 'ct_lb(backends=10.0.0.2:80,10.0.0.3:80; hash_fields="eth_src,eth_dst"; skip_snat);'],
  ['ct_lb_mark(backends=[fd00::2]:80,[fd00::3]:8080);', 'ct_lb_mark(backends=[fd00::2]:80,[fd00::3]:8080);'],
  ['ct_lb(10.0.0.1, 10.0.0.2);', 'ct_lb(backends=10.0.0.1,10.0.0.2);'],
  ['ct_dnat(10.0.0.5);', 'ct_dnat(10.0.0.5);'],
  ['ct_snat(172.16.1.1, 1-30000 random);', 'ct_snat(172.16.1.1,1-30000 random);'],
  ['ct_dnat_in_czone(fd00::5, 8080);', 'ct_dnat_in_czone(fd00::5,8080);'],
  ['ct_dnat;', 'ct_dnat;'],
  ['eth.dst<->eth.src; ip.ttl--; outport=inport; flags.loopback=1; output;', 'eth.dst <-> eth.src; ip.ttl--; outport = inport; flags.loopback = 1; output;'],
  ['arp { eth.dst = ff:ff:ff:ff:ff:ff; arp.op = 1; output; };', 'arp { eth.dst = ff:ff:ff:ff:ff:ff; arp.op = 1; output; };'],
  ['put_arp(inport, arp.spa, arp.sha);', 'put_arp(inport, arp.spa, arp.sha);'],
  ['reg9[2] = lookup_arp(inport, arp.spa, arp.sha);', 'reg9[2] = lookup_arp(inport, arp.spa, arp.sha);'],
  ['get_arp(outport, reg0);', 'get_arp(outport, reg0);'],
  ['reg0[3] = put_dhcp_opts(offerip = 10.0.0.4, router = 10.0.0.1, dns_server = {8.8.8.8, 7.7.7.7}, domain_name = "ovn.org", lease_time = 3600); next;',
    'reg0[3] = put_dhcp_opts(offerip=10.0.0.4, router=10.0.0.1, dns_server={8.8.8.8, 7.7.7.7}, domain_name="ovn.org", lease_time=3600); next;'],
  ['log(name="acl1", severity=info, verdict=drop);', 'log(name="acl1", severity=info, verdict=drop);'],
  ['trigger_event(event = "empty_lb_backends", meter = "", vip = "10.0.0.1:80");', 'trigger_event(event="empty_lb_backends", meter="", vip="10.0.0.1:80");'],
  ['reg0 = 10.0.0.1; xxreg0 = FE80::1; outport = "p1"; next;', 'reg0 = 10.0.0.1; xxreg0 = fe80::1; outport = "p1"; next;'],
  ['clone { outport = "p2"; output; }; next;', 'clone { outport = "p2"; output; }; next;'],
  ['handle_svc_check(inport);', 'handle_svc_check(inport);'],
  ['outport = get_fdb(eth.dst);', 'outport = get_fdb(eth.dst);'],
  ['reg8[0] = ct_snat_to_vip;', 'reg8[0] = ct_snat_to_vip;'],
  ['icmp4 { eth.dst <-> eth.src; icmp4.type = 0; next(pipeline=egress,table=0); };', 'icmp4 { eth.dst <-> eth.src; icmp4.type = 0; next(pipeline=egress, table=0); };'],
  ['ct_commit(ct_mark=1/1, ct_label=0x1/0x1);', 'ct_commit(ct_mark=1/1, ct_label=0x1/0x1);'],
  ['reg9[2] = check_pkt_larger(1514); next;', 'reg9[2] = check_pkt_larger(1514); next;'],
  ['reject { };', 'reject { };'],
  ['clone { drop; }; next;', 'clone { drop; }; next;'],
  ['vlan.pcp = 4/4;', 'vlan.pcp = 4/4;'],
  ['nd_na { nd.target = fe80::1; nd.tll = 00:00:00:00:00:01; output; };', 'nd_na { nd.target = fe80::1; nd.tll = 00:00:00:00:00:01; output; };'],
  ['set_meter(100, 10); fwd_group(liveness=true, childports="p1", "p2");', 'set_meter(100, 10); fwd_group(liveness=true, childports="p1", "p2");'],
];

test('actions print canonically and round-trip', () => {
  for (const [text, canonical] of CANONICAL) {
    const a = parseActions(text);
    assert.equal(formatActions(a), canonical, text);
    assert.deepEqual(parseActions(canonical), a, text);
  }
});

test('common actions parse into typed trees', () => {
  assert.deepEqual(parseActions('next(pipeline=egress, table=3); output;'), [
    { type: 'next', pipeline: 'egress', table: 3 }, { type: 'keyword', name: 'output' },
  ]);
  assert.deepEqual(parseActions('reg0[1..2] = 3; eth.src = eth.dst; ip.ttl--;'), [
    { type: 'set', dst: { name: 'reg0', lo: 1, hi: 2 }, value: { kind: 'int', value: 3n, format: 'dec' } },
    { type: 'move', dst: { name: 'eth.src' }, src: { name: 'eth.dst' } },
    { type: 'dec', field: { name: 'ip.ttl' } },
  ]);
  assert.deepEqual(parseActions('ct_lb_mark(backends=10.0.0.2:80,[fd00::1]:8080,10.0.0.3; hash_fields="ip_src"; force_snat);'), [{
    type: 'ct_lb', name: 'ct_lb_mark', hashFields: 'ip_src', flags: ['force_snat'],
    backends: [{ ip: '10.0.0.2', family: 'ipv4', port: 80 }, { ip: 'fd00::1', family: 'ipv6', port: 8080 }, { ip: '10.0.0.3', family: 'ipv4' }],
  }]);
  assert.deepEqual(parseActions('ct_dnat(10.0.0.5); ct_snat(10.0.0.1, 1000-2000);'), [
    { type: 'ct_nat', name: 'ct_dnat', ip: '10.0.0.5', family: 'ipv4', flags: [] },
    { type: 'ct_nat', name: 'ct_snat', ip: '10.0.0.1', family: 'ipv4', portLo: 1000, portHi: 2000, flags: [] },
  ]);
  assert.deepEqual(parseActions('reg9[2] = lookup_arp(inport, arp.spa, arp.sha);'), [{
    type: 'call', name: 'lookup_arp', result: { name: 'reg9', lo: 2, hi: 2 }, parens: true,
    args: [{ sep: '', text: 'inport' }, { sep: ',', text: 'arp.spa' }, { sep: ',', text: 'arp.sha' }],
  }]);
  assert.deepEqual(parseActions('ct_commit { ct_mark.blocked = 1; }; arp { output; };'), [
    { type: 'block', name: 'ct_commit', actions: [{ type: 'set', dst: { name: 'ct_mark.blocked' }, value: { kind: 'int', value: 1n, format: 'dec' } }] },
    { type: 'block', name: 'arp', actions: [{ type: 'keyword', name: 'output' }] },
  ]);
});

const BAD: [string, string][] = [
  ['next', 'syntax error at column 5: expected ";", found end of input'],
  ['output; drop', 'syntax error at column 13: expected ";", found end of input'],
  ['output; drop;', 'error at column 9: "drop;" must be the only action'],
  ['drop; output;', 'error at column 1: "drop;" must be the only action'],
  ['clone { drop; output; };', 'error at column 9: "drop;" must be the only action'],
  ['arp { output };', 'syntax error at column 14: expected ";", found "}"'],
  ['eth.type = 0x800;', 'error at column 1: eth.type is read-only'],
  ['foo;', 'error at column 1: unknown action "foo"'],
  ['ct_mark = 1;', 'error at column 1: ct_mark can only be set inside ct_commit { ... }'],
  ['reg0 = lookup_arp(inport, arp.spa, arp.sha);', 'error at column 1: lookup_arp stores a 1-bit result; reg0 is 32-bit'],
  ['lookup_arp(inport, arp.spa, arp.sha);', 'error at column 1: lookup_arp returns a value: write R = lookup_arp(...)'],
  ['put_arp(inport, arp.spa);', 'error at column 8: put_arp takes 3 field arguments, not 2'],
  ['put_arp(inport, arp.spa, 1);', 'syntax error at column 26: expected a field name, found "1"'],
  ['reg0 = eth.src;', 'error at column 8: reg0 is 32-bit but eth.src is 48-bit; widths must match'],
  ['outport = reg0;', 'error at column 11: cannot copy between outport and reg0: only one is a string field'],
  ['next(300);', 'syntax error at column 6: expected a table number (0..255), found "300"'],
  ['ip4 = 1;', 'error at column 1: ip4 is a predicate and cannot be assigned'],
  ['arp;', 'syntax error at column 4: expected "{", found ";"'],
  ['log(name="x";', 'syntax error at column 14: expected ")", found end of input'],
  ['log(name="x",);', 'syntax error at column 14: expected an argument, found ")"'],
  ['reg0 = $as;', 'error at column 8: cannot assign a set to reg0'],
  ['ip4.dst = 00:00:00:00:00:01;', 'error at column 11: cannot compare ip4.dst, an IPv4 field, with the Ethernet address "00:00:00:00:00:01"'],
  ['tcp.dst = 65536;', 'error at column 11: "65536" does not fit in tcp.dst, a 16-bit field'],
  ['reg0--;', 'error at column 1: only ip.ttl can be decremented, not reg0'],
  ['ct_lb(backends=fd00::1 :80);', 'syntax error at column 24: expected ",", ";" or ")", found ":"'],
  ['ct_lb(backends=10.0.0.0/8);', 'syntax error at column 16: expected an IPv4 address or "[" IPv6 "]", found "10.0.0.0/8"'],
  ['ct_dnat(10.0.0.0/8);', 'syntax error at column 9: expected an IPv4 or IPv6 address, found "10.0.0.0/8"'],
  ['ct_snat(10.0.0.1, 2000-1000);', 'error at column 24: the high end of a port range must be above the low end'],
  ['ct_snat(10.0.0.1, 0);', 'error at column 19: a port range cannot start at 0'],
  ['ct_lb(backends=[fd00::1]:99999);', 'syntax error at column 26: expected a port number, found "99999"'],
];

test('refused actions: exact summary', () => {
  for (const [text, summary] of BAD) {
    assert.throws(() => parseActions(text), (e: unknown) => {
      assert.equal((e as { summary?: string }).summary, summary, text);
      assert.equal((e as { code?: string }).code, 'invalid-match');
      return true;
    }, text);
  }
});

test('actions imply the prerequisites of the fields they touch', () => {
  assert.deepEqual(actionPrerequisites(parseActions('tcp.dst = 8080; ip.ttl--; eth.dst <-> eth.src; next;')), ['tcp', 'ip']);
  assert.deepEqual(actionPrerequisites(parseActions('ct_dnat(10.0.0.5);')), ['ip']);
  assert.deepEqual(actionPrerequisites(parseActions('ct_lb_mark;')), ['ip']);
  assert.deepEqual(actionPrerequisites(parseActions('reg0 = ip4.dst; nd.tll = 00:00:00:00:00:01;')), ['ip4', 'nd_na']);
  // A nested block acts on a new packet: its fields add nothing to the outer match.
  assert.deepEqual(actionPrerequisites(parseActions('arp { arp.op = 2; output; };')), []);
});

test('format/parse round trip over generated action lists', () => {
  fc.assert(fc.property(actionArbitrary(), (actions) => {
    assert.deepEqual(parseActions(formatActions(actions)), actions);
  }), { numRuns: 1000, seed: 5 });
});
