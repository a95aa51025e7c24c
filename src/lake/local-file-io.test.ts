import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom, tempDir, testSeed } from '../testing/fixtures.js';
import { LakeError } from './errors.js';
import { fileIOContract } from './file-io-contract.js';
import { LOCAL_TEMP_SUFFIX, LocalFileIO, isLocalTempFile, toLocalPath } from './local-file-io.js';
import { BLOCKING_WRITE_MAX_BYTES } from './parquet-files.js';

fileIOContract('local (file:// URIs)', () => {
  const dir = tempDir('orderpulse-localio-');
  return Promise.resolve({ io: new LocalFileIO(), base: `file://${dir.path}/`, cleanup: () => Promise.resolve(dir.remove()) });
});

fileIOContract('local (absolute paths)', () => {
  const dir = tempDir('orderpulse-localio-');
  return Promise.resolve({ io: new LocalFileIO(), base: `${dir.path}/`, cleanup: () => Promise.resolve(dir.remove()) });
});

// The `process` durability of a deployment: the same contract, files left to the page cache.
fileIOContract('local, without fsync', () => {
  const dir = tempDir('orderpulse-localio-');
  return Promise.resolve({ io: new LocalFileIO({ fsync: false }), base: `${dir.path}/`, cleanup: () => Promise.resolve(dir.remove()) });
});

function code(error: unknown): string {
  return error instanceof LakeError ? error.code : `not a LakeError: ${String(error)}`;
}

void describe('LocalFileIO locations', () => {
  void it('takes file:///abs, file:/abs, file://localhost/abs and absolute paths, as written (no percent-decoding)', () => {
    assert.equal(toLocalPath('file:///tmp/t/a.json'), '/tmp/t/a.json');
    assert.equal(toLocalPath('file:/tmp/t/a.json'), '/tmp/t/a.json');
    assert.equal(toLocalPath('file://localhost/tmp/t/a.json'), '/tmp/t/a.json');
    assert.equal(toLocalPath('/tmp/t/../t/a.json'), '/tmp/t/a.json');
    assert.equal(toLocalPath('file:///tmp/t/a%20b.json'), '/tmp/t/a%20b.json');
  });

  void it('refuses relative paths, other schemes and remote hosts with OP_LAKE_INVALID_ARGUMENT', () => {
    for (const location of ['relative/a.json', 's3://bucket/a.json', 'file://otherhost/tmp/a.json', 'file:relative', 'http://x/y']) {
      assert.throws(() => toLocalPath(location), (error) => code(error) === 'OP_LAKE_INVALID_ARGUMENT', location);
    }
  });

  void it('lists in the form it was asked in', async () => {
    const dir = tempDir('orderpulse-localio-');
    try {
      const io = new LocalFileIO();
      await io.write(`${dir.path}/t/a b.json`, new Uint8Array([1]));
      const viaUri: string[] = [];
      for await (const file of io.list(`file://${dir.path}/t/`)) viaUri.push(file.location);
      assert.deepEqual(viaUri, [`file://${dir.path}/t/a b.json`]);
      const viaHadoopUri: string[] = [];
      for await (const file of io.list(`file:${dir.path}/t`)) viaHadoopUri.push(file.location);
      assert.deepEqual(viaHadoopUri, [`file:${dir.path}/t/a b.json`]);
      const viaPath: string[] = [];
      for await (const file of io.list(`${dir.path}/t`)) viaPath.push(file.location);
      assert.deepEqual(viaPath, [`${dir.path}/t/a b.json`]);
    } finally {
      dir.remove();
    }
  });
});

void describe('LocalFileIO crash safety', () => {
  void it('publishes through a hidden temporary file: a stray one is skipped by list and blocks nothing', async () => {
    const dir = tempDir('orderpulse-localio-');
    try {
      const io = new LocalFileIO();
      mkdirSync(join(dir.path, 'metadata'));
      const stray = join(dir.path, 'metadata', `.v1.metadata.json.0123456789ab${LOCAL_TEMP_SUFFIX}`);
      writeFileSync(stray, '{"half');
      assert.ok(isLocalTempFile('.v1.metadata.json.0123456789ab.op-tmp'));
      const listed: string[] = [];
      for await (const file of io.list(`${dir.path}/`)) listed.push(file.location);
      assert.deepEqual(listed, []);
      await io.write(join(dir.path, 'metadata', 'v1.metadata.json'), new TextEncoder().encode('{"whole":true}'));
      assert.equal(readFileSync(join(dir.path, 'metadata', 'v1.metadata.json'), 'utf8'), '{"whole":true}');
      // A successful write leaves no temporary file of its own behind.
      assert.deepEqual(readdirSync(join(dir.path, 'metadata')).filter(isLocalTempFile), [stray.slice(stray.lastIndexOf('/') + 1)]);
    } finally {
      dir.remove();
    }
  });

  void it('writes small files on the calling thread and large ones through the pool alike: bytes, refusal, overwrite', async () => {
    const dir = tempDir('orderpulse-localio-sizes-');
    const random = seededRandom(testSeed('LocalFileIO sizes'));
    const bytesOf = (size: number): Uint8Array => Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
    try {
      for (const fsync of [true, false]) {
        const io = new LocalFileIO({ fsync });
        // Either side of the size up to which a write blocks (parquet-files.ts).
        for (const size of [BLOCKING_WRITE_MAX_BYTES, BLOCKING_WRITE_MAX_BYTES + 1]) {
          const location = join(dir.path, `fsync-${fsync}`, `new-dir-${size}`, 'file.bin');
          const first = bytesOf(size);
          await io.write(location, first);
          assert.deepEqual(new Uint8Array(readFileSync(location)), first, `${size} bytes read back`);
          await assert.rejects(io.write(location, bytesOf(8)), (error) => code(error) === 'OP_LAKE_FILE_EXISTS' && String((error as Error).message).includes(location));
          assert.deepEqual(new Uint8Array(readFileSync(location)), first, 'a refused write leaves the file as it was');
          const second = bytesOf(size);
          await io.write(location, second, { overwrite: true });
          assert.deepEqual(new Uint8Array(readFileSync(location)), second, 'overwritten');
          assert.deepEqual(readdirSync(join(dir.path, `fsync-${fsync}`, `new-dir-${size}`)), ['file.bin'], 'no temporary file left');
        }
      }
    } finally {
      dir.remove();
    }
  });

  void it('a process killed (SIGKILL) mid-write never leaves a partial file under a final name', async () => {
    const dir = tempDir('orderpulse-localio-crash-');
    const size = 24 * 1024 * 1024;
    const moduleUrl = new URL('./local-file-io.js', import.meta.url).href;
    // The child writes 24 MiB files, each filled with its own byte, until it is killed.
    const child = `
      const { LocalFileIO } = await import(${JSON.stringify(moduleUrl)});
      const io = new LocalFileIO();
      const dir = process.argv[1];
      for (let i = 0; ; i++) {
        process.stdout.write('start ' + i + '\\n');
        await io.write(dir + '/data/f' + i + '.bin', new Uint8Array(${size}).fill((i * 37 + 1) & 0xff));
        process.stdout.write('done ' + i + '\\n');
      }`;
    let killedMidWrite = 0;
    let temporaryLeft = 0;
    try {
      for (let round = 0; round < 6; round++) {
        const roundDir = join(dir.path, `round${round}`);
        const proc = spawn(process.execPath, ['--input-type=module', '-e', child, roundDir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the writer did not get going: ${out}`)), 30_000);
          proc.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes('start 2\n')) {
              clearTimeout(timer);
              // Somewhere inside the third write (or a later one), varying from round to round.
              setTimeout(resolve, round * 7);
            }
          });
        });
        proc.kill('SIGKILL');
        await exited;
        const lines = out.trim().split('\n');
        if (lines[lines.length - 1]?.startsWith('start')) killedMidWrite++;
        const names = readdirSync(join(roundDir, 'data'));
        temporaryLeft += names.filter(isLocalTempFile).length;
        for (const name of names.filter((n) => !isLocalTempFile(n))) {
          const path = join(roundDir, 'data', name);
          assert.equal(statSync(path).size, size, `${name} is whole`);
          const index = Number(/^f(\d+)\.bin$/.exec(name)?.[1]);
          const bytes = readFileSync(path);
          const expected = (index * 37 + 1) & 0xff;
          assert.ok(bytes.every((b) => b === expected), `${name} holds its own bytes only`);
        }
      }
      assert.ok(killedMidWrite > 0, 'at least one round killed the writer inside a write');
      // Informative: how often the kill landed while the temporary file was being written.
      assert.ok(temporaryLeft >= 0);
    } finally {
      dir.remove();
    }
  });
});
