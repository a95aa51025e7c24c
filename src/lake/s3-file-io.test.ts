import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { LakeError } from './errors.js';
import { fileIOContract, randomTag } from './file-io-contract.js';
import { S3FileIO, parseS3Location } from './s3-file-io.js';
import type { S3FileIOOptions } from './s3-file-io.js';

// ---- the contract, against a real S3-compatible server (scripts/services/up.sh starts one) ---------

const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
};
const endpoint = env('ORDERPULSE_TEST_S3_ENDPOINT');
const bucket = env('ORDERPULSE_TEST_S3_BUCKET') ?? 'orderpulse-test';
const accessKeyId = env('ORDERPULSE_TEST_S3_ACCESS_KEY') ?? '';
const secretAccessKey = env('ORDERPULSE_TEST_S3_SECRET_KEY') ?? '';
const skip =
  endpoint === undefined
    ? 'ORDERPULSE_TEST_S3_ENDPOINT not set: run `eval "$(scripts/services/up.sh s3)"` (or set ORDERPULSE_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY for another S3-compatible server that honours If-None-Match) to run the S3 contract'
    : false;

function options(cacheDir: string): S3FileIOOptions {
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    accessKeyId,
    secretAccessKey,
    cacheDir,
    maxAttempts: 2,
  };
}

fileIOContract(
  `s3 (${endpoint ?? 'no server'})`,
  () => {
    const cache = tempDir('orderpulse-s3-cache-');
    const io = new S3FileIO(options(cache.path));
    const base = `s3://${bucket}/contract-${randomTag()}/`;
    return Promise.resolve({
      io,
      base,
      // The test closed its FileIO: a second one sweeps the prefix.
      cleanup: async () => {
        const sweeper = new S3FileIO(options(cache.path));
        try {
          for await (const file of sweeper.list(base)) await sweeper.delete(file.location);
        } finally {
          await sweeper.close();
          cache.remove();
        }
      },
    });
  },
  { skip },
);

void describe('S3FileIO against the server', { skip }, () => {
  void it('keeps one cached copy per object, and reads it from the cache without the server', async () => {
    const cache = tempDir('orderpulse-s3-cache-');
    const io = new S3FileIO(options(cache.path));
    const location = `s3://${bucket}/cache-${randomTag()}/data/part-0.parquet`;
    try {
      await io.write(location, new TextEncoder().encode('PAR1...PAR1'));
      const path = await io.localPath(location);
      assert.ok(path.startsWith(cache.path), path);
      assert.ok(path.endsWith('part-0.parquet'), 'the cached copy keeps the extension');
      await io.delete(location);
      // Immutable files: the cache still answers after the object is gone.
      assert.equal(await io.localPath(location), path);
    } finally {
      await io.close();
      cache.remove();
    }
  });

  void it('lists past one page (pagination)', async () => {
    const cache = tempDir('orderpulse-s3-cache-');
    const io = new S3FileIO(options(cache.path));
    const base = `s3://${bucket}/pages-${randomTag()}/`;
    try {
      const names = Array.from({ length: 1005 }, (_, i) => `${base}f${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 50) {
        await Promise.all(names.slice(i, i + 50).map((n) => io.write(n, new Uint8Array([1]))));
      }
      const listed: string[] = [];
      for await (const file of io.list(base)) listed.push(file.location);
      assert.deepEqual(listed.sort(), names);
      for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => io.delete(n)));
    } finally {
      await io.close();
      cache.remove();
    }
  });

  void it('a wrong secret is a non-retryable OP_LAKE_IO', async () => {
    const cache = tempDir('orderpulse-s3-cache-');
    const io = new S3FileIO({ ...options(cache.path), secretAccessKey: 'wrong-secret' });
    try {
      await assert.rejects(io.read(`s3://${bucket}/anything`), (error) => {
        assert.ok(error instanceof LakeError);
        assert.equal(error.code, 'OP_LAKE_IO');
        assert.equal(error.retryable, false);
        return true;
      });
    } finally {
      await io.close();
      cache.remove();
    }
  });
});

// ---- without a server ---------------------------------------------------------------------------

void describe('S3FileIO without a server', () => {
  void it('parses s3://, s3a:// and s3n:// locations', () => {
    assert.deepEqual(parseS3Location('s3://bucket/a/b.parquet'), { scheme: 's3', bucket: 'bucket', key: 'a/b.parquet' });
    assert.deepEqual(parseS3Location('s3a://bucket/a/'), { scheme: 's3a', bucket: 'bucket', key: 'a/' });
    assert.deepEqual(parseS3Location('s3n://bucket'), { scheme: 's3n', bucket: 'bucket', key: '' });
    for (const bad of ['/tmp/x', 'file:///tmp/x', 's3:/bucket/x', 'gs://bucket/x', 's3:///x']) {
      assert.throws(() => parseS3Location(bad), (error) => error instanceof LakeError && error.code === 'OP_LAKE_INVALID_ARGUMENT', bad);
    }
  });

  void it('refuses an object location without a key, and half a credential pair', async () => {
    const io = new S3FileIO({ endpoint: 'http://127.0.0.1:1', accessKeyId: 'a', secretAccessKey: 'b' });
    try {
      await assert.rejects(io.read('s3://bucket/'), (error) => error instanceof LakeError && error.code === 'OP_LAKE_INVALID_ARGUMENT');
    } finally {
      await io.close();
    }
    assert.throws(
      () => new S3FileIO({ accessKeyId: 'only-the-key' }),
      (error) => error instanceof LakeError && error.code === 'OP_LAKE_INVALID_ARGUMENT',
    );
    assert.throws(
      () => new S3FileIO({ accessKeyId: 'a', secretAccessKey: 'b', partSizeBytes: 1024 }),
      (error) => error instanceof LakeError && error.code === 'OP_LAKE_INVALID_ARGUMENT',
    );
  });

  void it('an unreachable endpoint is a retryable OP_LAKE_IO', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const io = new S3FileIO({ endpoint: 'http://127.0.0.1:1', accessKeyId: 'a', secretAccessKey: 'b', maxAttempts: 1 });
    try {
      await assert.rejects(io.write('s3://bucket/x.json', new Uint8Array([1])), (error) => {
        assert.ok(error instanceof LakeError, String(error));
        assert.equal(error.code, 'OP_LAKE_IO');
        assert.equal(error.retryable, true, error.message);
        return true;
      });
    } finally {
      await io.close();
    }
  });
});
