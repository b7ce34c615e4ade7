import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { longRecording } from './long-recording.js';
const dir = mkdtempSync(join(tmpdir(), 'long-'));
const r = await longRecording(async (env) => {
  const t = new StdioClientTransport({ command: process.execPath, args: ['dist/index.js'], env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'inherit' });
  const client = new Client({ name: 'b', version: '1' }); await client.connect(t);
  return { client, pid: t.pid!, close: () => client.close() };
}, dir, { hours: Number(process.env.H ?? 12), words: Number(process.env.W ?? 110000) }, console.log);
console.log(JSON.stringify(r));
rmSync(dir, { recursive: true, force: true });
