/**
 * Preload (node --require) for the offline tests: every way Node can open a network connection
 * (TCP/TLS sockets, UDP, DNS, fetch) throws, and the attempt is appended to $LOSSLINT_NET_LOG so
 * that a test can prove none was made. Unix-domain sockets and pipes (IPC) stay allowed.
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const dgram = require('node:dgram');
const dns = require('node:dns');

const LOG = process.env.LOSSLINT_NET_LOG;

function refuse(what) {
  const line = `${process.pid} ${what}\n${new Error().stack.split('\n').slice(2, 7).join('\n')}\n`;
  if (LOG) fs.appendFileSync(LOG, line);
  throw new Error(`network access refused by the offline test: ${what}`);
}

function isIpc(args) {
  const first = args[0];
  if (Array.isArray(first)) return isIpc(first);
  if (typeof first === 'string' && Number.isNaN(Number(first))) return true; // a socket path
  return typeof first === 'object' && first !== null && typeof first.path === 'string';
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  if (!isIpc(args)) refuse(`net.Socket.connect ${JSON.stringify(args[0])}`);
  return connect.apply(this, args);
};
tls.connect = (...args) => refuse(`tls.connect ${JSON.stringify(args[0])}`);
dgram.createSocket = (...args) => refuse(`dgram.createSocket ${JSON.stringify(args[0])}`);
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse']) {
  dns[name] = (...args) => refuse(`dns.${name} ${JSON.stringify(args[0])}`);
  if (dns.promises) dns.promises[name] = (...args) => refuse(`dns.promises.${name} ${JSON.stringify(args[0])}`);
}
globalThis.fetch = (...args) => refuse(`fetch ${String(args[0])}`);
