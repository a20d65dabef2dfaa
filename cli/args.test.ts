import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from './args.js';
import { nbCommands } from './nbctl.js';

const names = (argv: string[]) => parseArgs(argv, nbCommands).commands.map((c) => [c.spec.name, ...c.args]);

test('-- chains commands; a leading -- is allowed (the ref script form)', () => {
  assert.deepEqual(names(['ls-add', 'a', '--', 'lsp-add', 'a', 'p']), [
    ['ls-add', 'a'],
    ['lsp-add', 'a', 'p'],
  ]);
  assert.deepEqual(names(['--', 'ls-add', 'a', '--', 'lsp-add', 'a', 'p', '--', 'lsp-set-addresses', 'p', '0a:00:00:00:00:01 10.0.0.1']), [
    ['ls-add', 'a'],
    ['lsp-add', 'a', 'p'],
    ['lsp-set-addresses', 'p', '0a:00:00:00:00:01 10.0.0.1'],
  ]);
});

test('options before a command belong to it; global ones are global', () => {
  const inv = parseArgs(['--db=http://x:1', '--may-exist', 'ls-add', 'a', '--', '--type=port-group', 'acl-add', 'pg', 'to-lport', '1', 'ip', 'drop', '--', '--wait=sb', 'sync'], nbCommands);
  assert.equal(inv.global.db, 'http://x:1');
  assert.equal(inv.global.wait, 'sb');
  assert.deepEqual([...(inv.commands[0]?.options ?? [])], [['may-exist', '']]);
  assert.deepEqual([...(inv.commands[1]?.options ?? [])], [['type', 'port-group']]);
  assert.equal(parseArgs(['--db', 'http://y:2', 'ls-list'], nbCommands).global.db, 'http://y:2');
  const j = parseArgs(['--json', 'ls-list'], nbCommands).global;
  assert.equal(j.json, true);
  assert.equal(j.format, 'json');
});

test('arguments after the command name are never options', () => {
  assert.deepEqual(names(['acl-add', 'sw0', 'to-lport', '1', '--x', 'drop']), [['acl-add', 'sw0', 'to-lport', '1', '--x', 'drop']]);
});

test('usage errors say what is wrong and how to write it', () => {
  assert.throws(() => parseArgs(['ls-ad', 'x'], nbCommands), (e: { message: string; hint?: string }) => {
    assert.equal(e.message, "unknown command 'ls-ad'; use --help for help");
    assert.match(e.hint ?? '', /did you mean: .*ls-add/);
    return true;
  });
  assert.throws(() => parseArgs(['lsp-add'], nbCommands), { message: "'lsp-add' command requires at least 2 arguments", hint: 'usage: lsp-add SWITCH PORT [PARENT TAG]' });
  assert.throws(() => parseArgs(['ls-list', 'x'], nbCommands), { message: "'ls-list' command requires at most 0 arguments" });
  assert.throws(() => parseArgs(['--tier=2', 'acl-add', 'sw0', 'to-lport', '1', 'ip', 'drop'], nbCommands), (e: { message: string; hint?: string }) => {
    assert.equal(e.message, "'acl-add' command has no '--tier' option");
    assert.match(e.hint ?? '', /--apply-after-lb/);
    return true;
  });
  assert.throws(() => parseArgs(['--wait=soon', 'sync'], nbCommands), { message: '--wait=soon: argument must be "none", "sb" or "hv"' });
  assert.throws(() => parseArgs(['--', '--may-exist'], nbCommands), { message: 'missing command name after --may-exist' });
});

test('CMD --help asks for that command\'s help', () => {
  const inv = parseArgs(['lr-route-add', '--help'], nbCommands);
  assert.equal(inv.help, true);
  assert.equal(inv.helpFor?.name, 'lr-route-add');
});
