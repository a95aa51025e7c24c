/**
 * The behaviour every `FileIO` must have, as node:test tests. Run it for an implementation with
 * `fileIOContract('local', make)` in a test file; each test gets a fresh, empty location prefix, so
 * the suite can run against a shared bucket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { LakeError } from './errors.js';
import type { FileInfo, FileIO } from './file-io.js';

export interface FileIOUnderTest {
  readonly io: FileIO;
  /** A prefix no other test uses, ending in `/`: `file:///tmp/x/`, `/tmp/x/`, `s3://bucket/run-1/`. */
  readonly base: string;
  /** Removes what the test left; runs after the test closed the FileIO. */
  readonly cleanup: () => Promise<void>;
}

export interface FileIOContractOptions {
  /** A reason to skip the whole suite (a server that is not configured), or false. */
  readonly skip?: string | false;
}

const text = new TextEncoder();
const bytes = (s: string): Uint8Array => text.encode(s);
const MiB = 1024 * 1024;

/** Pseudo-random bytes, cheap to make in bulk (randomBytes of 20 MiB is fine too, but slower). */
function payload(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function collect(iterable: AsyncIterable<FileInfo>): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const file of iterable) out.push(file);
  return out.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
}

async function rejectsWith(promise: Promise<unknown>, code: string, location?: string): Promise<LakeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LakeError, `expected a LakeError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (location !== undefined) {
      assert.equal(error.details['location'], location);
      assert.ok(error.message.includes(location), `the message names ${location}: ${error.message}`);
    }
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.byteLength, expected.byteLength, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: content`);
}

export function fileIOContract(name: string, make: () => Promise<FileIOUnderTest>, options: FileIOContractOptions = {}): void {
  const run = (title: string, body: (io: FileIO, base: string) => Promise<void>): void => {
    void test(title, async () => {
      const harness = await make();
      try {
        await body(harness.io, harness.base);
      } finally {
        await harness.io.close();
        await harness.cleanup();
      }
    });
  };

  void describe(`FileIO contract: ${name}`, { skip: options.skip ?? false }, () => {
    run('writes, reads back, knows the size and existence of a file', async (io, base) => {
      const location = `${base}metadata/00000-abc.metadata.json`;
      assert.equal(await io.exists(location), false);
      const content = bytes('{"format-version":2}');
      await io.write(location, content);
      assert.equal(await io.exists(location), true);
      assert.equal(await io.size(location), content.byteLength);
      sameBytes(await io.read(location), content, 'read');
    });

    run('keeps every byte value and empty files', async (io, base) => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await io.write(`${base}bin/all.bin`, all);
      sameBytes(await io.read(`${base}bin/all.bin`), all, 'all byte values');
      await io.write(`${base}bin/empty.bin`, new Uint8Array(0));
      assert.equal(await io.size(`${base}bin/empty.bin`), 0);
      sameBytes(await io.read(`${base}bin/empty.bin`), new Uint8Array(0), 'empty');
    });

    run('takes partition-style and unusual names', async (io, base) => {
      for (const file of ['data/order_date_day=2018-01-01/part 1.parquet', 'data/state=SÃO PAULO/ü+%.parquet', 'data/k=a,b;c/x.parquet']) {
        await io.write(`${base}${file}`, bytes(file));
        sameBytes(await io.read(`${base}${file}`), bytes(file), file);
      }
      const listed = (await collect(io.list(`${base}data/`))).map((f) => f.location);
      assert.equal(listed.length, 3);
      for (const location of listed) assert.equal(await io.exists(location), true, location);
    });

    run('a missing file is OP_LAKE_FILE_NOT_FOUND naming it (read, size, localPath); exists says false', async (io, base) => {
      const location = `${base}nope/missing.avro`;
      assert.equal(await io.exists(location), false);
      await rejectsWith(io.read(location), 'OP_LAKE_FILE_NOT_FOUND', location);
      await rejectsWith(io.size(location), 'OP_LAKE_FILE_NOT_FOUND', location);
      await rejectsWith(io.localPath(location), 'OP_LAKE_FILE_NOT_FOUND', location);
    });

    run('refuses to replace a file unless asked to overwrite', async (io, base) => {
      const location = `${base}metadata/v1.metadata.json`;
      await io.write(location, bytes('first'));
      const error = await rejectsWith(io.write(location, bytes('second')), 'OP_LAKE_FILE_EXISTS', location);
      assert.equal(error.retryable, false);
      sameBytes(await io.read(location), bytes('first'), 'unchanged after a refused write');
      await io.write(location, bytes('third, longer than the first'), { overwrite: true });
      sameBytes(await io.read(location), bytes('third, longer than the first'), 'overwritten');
      await io.write(`${base}metadata/fresh.json`, bytes('new'), { overwrite: true });
      sameBytes(await io.read(`${base}metadata/fresh.json`), bytes('new'), 'overwrite creates too');
    });

    run('writers racing for one name: exactly one wins, the file holds its bytes whole', async (io, base) => {
      const location = `${base}metadata/race.metadata.json`;
      const contents = Array.from({ length: 8 }, (_, i) => payload(64 * 1024 + i, i + 1));
      const outcomes = await Promise.allSettled(contents.map((content) => io.write(location, content)));
      const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1, `one winner, got ${winners.length}`);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          assert.ok(outcome.reason instanceof LakeError);
          assert.equal(outcome.reason.code, 'OP_LAKE_FILE_EXISTS');
        }
      }
      const winner = contents[winners[0] ?? -1];
      assert.ok(winner !== undefined);
      sameBytes(await io.read(location), winner, 'the winner');
    });

    run('deletes files; deleting a missing file is fine', async (io, base) => {
      const location = `${base}data/gone.parquet`;
      await io.write(location, bytes('x'));
      await io.delete(location);
      assert.equal(await io.exists(location), false);
      await io.delete(location);
      await io.delete(`${base}never/was.parquet`);
      await io.write(location, bytes('again'));
      sameBytes(await io.read(location), bytes('again'), 'a deleted name can be written again');
    });

    run('lists every file under a prefix, recursively, with sizes', async (io, base) => {
      const files: Record<string, string> = {
        'tbl/metadata/v1.metadata.json': 'one',
        'tbl/metadata/v2.metadata.json': 'two!',
        'tbl/metadata/snap-1.avro': 'snapshot',
        'tbl/data/day=2018-01-01/a.parquet': 'aaaaa',
        'tbl/data/day=2018-01-02/b.parquet': 'bb',
        'other/x.parquet': 'x',
      };
      for (const [file, content] of Object.entries(files)) await io.write(`${base}${file}`, bytes(content));
      const all = await collect(io.list(`${base}tbl/`));
      assert.deepEqual(
        all.map((f) => f.location),
        Object.keys(files).filter((f) => f.startsWith('tbl/')).map((f) => `${base}${f}`).sort(),
      );
      for (const file of all) {
        const key = file.location.slice(base.length);
        assert.equal(file.size, bytes(files[key] ?? '').byteLength, key);
        assert.ok(file.lastModifiedMs > Date.now() - 24 * 3600_000 && file.lastModifiedMs <= Date.now() + 60_000, `${key} mtime`);
      }
      const data = await collect(io.list(`${base}tbl/data`));
      assert.deepEqual(
        data.map((f) => f.location.slice(base.length)),
        ['tbl/data/day=2018-01-01/a.parquet', 'tbl/data/day=2018-01-02/b.parquet'],
      );
      // A partial name, as on S3.
      const versions = await collect(io.list(`${base}tbl/metadata/v`));
      assert.deepEqual(
        versions.map((f) => f.location.slice(base.length)),
        ['tbl/metadata/v1.metadata.json', 'tbl/metadata/v2.metadata.json'],
      );
      assert.deepEqual(await collect(io.list(`${base}nothing-here/`)), []);
      for (const file of all) assert.equal(await io.size(file.location), file.size, 'listed locations are readable locations');
    });

    run('localPath gives a local file with the same bytes, every time', async (io, base) => {
      const location = `${base}data/local.parquet`;
      const content = payload(300_000, 7);
      await io.write(location, content);
      const first = await io.localPath(location);
      sameBytes(await readFile(first), content, 'first localPath');
      const [second, third] = await Promise.all([io.localPath(location), io.localPath(location)]);
      assert.equal(second, first);
      assert.equal(third, first);
      sameBytes(await readFile(first), content, 'after repeated calls');
    });

    run('uploads a local file, create-only; a missing source is OP_LAKE_FILE_NOT_FOUND', async (io, base) => {
      const dir = tempDir('orderpulse-fileio-upload-');
      try {
        const source = join(dir.path, 'part-0.parquet');
        const content = payload(123_457, 3);
        await writeFile(source, content);
        const location = `${base}data/uploaded.parquet`;
        await io.upload(source, location);
        sameBytes(await io.read(location), content, 'uploaded');
        await rejectsWith(io.upload(source, location), 'OP_LAKE_FILE_EXISTS', location);
        const missing = join(dir.path, 'missing.parquet');
        await rejectsWith(io.upload(missing, `${base}data/other.parquet`), 'OP_LAKE_FILE_NOT_FOUND', missing);
        assert.equal(await io.exists(`${base}data/other.parquet`), false);
      } finally {
        dir.remove();
      }
    });

    run('large files (multipart on S3) write, upload, read back and stay create-only', async (io, base) => {
      const big = payload(20 * MiB + 12_345, 11);
      const location = `${base}data/big.parquet`;
      await io.write(location, big);
      assert.equal(await io.size(location), big.byteLength);
      sameBytes(await io.read(location), big, 'big write');
      await rejectsWith(io.write(location, payload(20 * MiB, 12)), 'OP_LAKE_FILE_EXISTS', location);
      sameBytes(await io.read(location), big, 'unchanged after a refused big write');
      const dir = tempDir('orderpulse-fileio-big-');
      try {
        const source = join(dir.path, 'big.parquet');
        await writeFile(source, big);
        await io.upload(source, `${base}data/big-uploaded.parquet`);
        sameBytes(await readFile(await io.localPath(`${base}data/big-uploaded.parquet`)), big, 'big upload');
        await rejectsWith(io.upload(source, location), 'OP_LAKE_FILE_EXISTS', location);
      } finally {
        dir.remove();
      }
    });

    run('names its scheme', (io) => {
      assert.ok(io.scheme === 'file' || io.scheme === 's3', io.scheme);
      return Promise.resolve();
    });
  });
}

/** A random tag for prefixes and names. */
export function randomTag(): string {
  return randomBytes(5).toString('hex');
}
