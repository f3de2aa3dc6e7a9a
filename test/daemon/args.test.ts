import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONTROL, parseListenAddress, parseRunArgs } from '../../src/daemon/args';

test('defaults: metrics off, control socket on, drop to nobody, info level', () => {
  const o = parseRunArgs(['--config', '/tmp/x.conf'], {});
  assert.equal(o.config, '/tmp/x.conf');
  assert.equal(o.metrics, null);
  assert.equal(o.control, DEFAULT_CONTROL);
  assert.equal(o.user, 'nobody');
  assert.equal(o.logLevel, 'info');
  assert.equal(o.tickMs, 100);
});

test('log level: option beats environment, environment beats default, bad values name their source', () => {
  assert.equal(parseRunArgs([], { NEIGHPROXY_LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.equal(parseRunArgs(['--log-level', 'warn'], { NEIGHPROXY_LOG_LEVEL: 'debug' }).logLevel, 'warn');
  assert.throws(() => parseRunArgs([], { NEIGHPROXY_LOG_LEVEL: 'loud' }), /NEIGHPROXY_LOG_LEVEL 'loud'/);
  assert.throws(() => parseRunArgs(['--log-level', 'loud'], {}), /--log-level 'loud'.*expected one of/);
});

test('metrics addresses: port alone is loopback, IPv6 in brackets, non-loopback flagged', () => {
  assert.deepEqual(parseListenAddress('9469'), { host: '127.0.0.1', port: 9469, loopback: true });
  assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000, loopback: true });
  assert.deepEqual(parseListenAddress('0.0.0.0:9469'), { host: '0.0.0.0', port: 9469, loopback: false });
  assert.deepEqual(parseListenAddress('localhost:1'), { host: '127.0.0.1', port: 1, loopback: true });
  assert.throws(() => parseListenAddress('::1:9000'), /\[ADDRESS\]:PORT/);
  assert.throws(() => parseListenAddress('127.0.0.1:70000'), /port between 1 and 65535, found '70000'/);
  assert.throws(() => parseListenAddress('router:80'), /expected an IP address before the port, found 'router'/);
});

test('privilege options: --no-drop and --user root keep root, contradictions refused', () => {
  assert.equal(parseRunArgs(['--no-drop'], {}).user, null);
  assert.equal(parseRunArgs(['--user', 'root'], {}).user, null);
  assert.equal(parseRunArgs(['--user', 'daemon', '--group', 'adm'], {}).group, 'adm');
  assert.throws(() => parseRunArgs(['--no-drop', '--user', 'nobody'], {}), /contradict/);
  assert.equal(parseRunArgs(['--no-control'], {}).control, null);
});

test('unknown options, stray words and bad numbers are refused', () => {
  assert.throws(() => parseRunArgs(['--colour'], {}), /colour/);
  assert.throws(() => parseRunArgs(['extra'], {}), /unexpected argument 'extra'/);
  assert.throws(() => parseRunArgs(['--tick', '5'], {}), /--tick '5': expected an integer between 10 and 1000/);
  assert.throws(() => parseRunArgs(['--link-poll', 'x'], {}), /--link-poll 'x'/);
});
