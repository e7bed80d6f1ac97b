/* global process, setInterval, clearInterval, setTimeout */
// Runs inside a network namespace for the mDNS test: advertises a node and prints, as JSON lines
// on stdout, the candidates it sees. Usage: node mdns-node.mjs <name> <port> <fingerprint> <iface-address>
import { startMdns } from '../../dist/src/mesh/mdns.js';

const [name, port, fingerprint, iface] = process.argv.slice(2);
const handle = await startMdns(
  { name, port: Number(port), fingerprint, version: 'test', kinds: ['entities.batch', 'whisper.transcribe'] },
  { interface: iface },
);
const timer = setInterval(() => {
  process.stdout.write(JSON.stringify(handle.candidates()) + '\n');
}, 250);
const stop = async () => {
  clearInterval(timer);
  await handle.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
setTimeout(stop, 20_000).unref();
