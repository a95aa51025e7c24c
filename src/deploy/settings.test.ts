import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DEFAULTS, resolveSettings } from './settings.js';

describe('resolveSettings', () => {
  it('takes flags over environment over config file over defaults', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'orderpulse.config.json'), JSON.stringify({ partitions: 3, batchSize: 100, state: 'from-file' }));
      const resolved = resolveSettings({
        flags: { partitions: 12 },
        env: { ORDERPULSE_BATCH_SIZE: '250' },
        cwd: dir.path,
      });
      assert.equal(resolved.settings.partitions, 12);
      assert.equal(resolved.sources.partitions, 'flag');
      assert.equal(resolved.settings.batchSize, 250);
      assert.equal(resolved.sources.batchSize, 'environment');
      assert.equal(resolved.settings.state, 'from-file');
      assert.equal(resolved.sources.state, 'config file');
      assert.equal(resolved.settings.durability, DEFAULTS.durability);
      assert.equal(resolved.sources.durability, 'default');
    } finally {
      dir.remove();
    }
  });

  it('takes the batch interval from --batch-every, ORDERPULSE_BATCH_EVERY or batchInterval, at least a second', () => {
    const dir = tempDir();
    try {
      assert.equal(resolveSettings({ flags: {}, env: {}, cwd: dir.path }).settings.batchInterval, 5 * 60_000);
      assert.equal(resolveSettings({ flags: {}, env: { ORDERPULSE_BATCH_EVERY: '30s' }, cwd: dir.path }).settings.batchInterval, 30_000);
      assert.equal(resolveSettings({ flags: { batchInterval: '2h' }, env: { ORDERPULSE_BATCH_EVERY: '30s' }, cwd: dir.path }).settings.batchInterval, 7_200_000);
      const file = join(dir.path, 'c.json');
      writeFileSync(file, JSON.stringify({ batchInterval: 90_000 }));
      assert.equal(resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }).settings.batchInterval, 90_000, 'a number in the file is ms');
      writeFileSync(file, JSON.stringify({ batchInterval: 'hourly' }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), /"batchInterval" in .*c\.json \(from the config file\) must be a duration/);
      assert.throws(() => resolveSettings({ flags: { batchInterval: '0' }, env: {}, cwd: dir.path }), /--batch-every \(from the flag\) must be at least 1s/);
    } finally {
      dir.remove();
    }
  });

  it('takes the risk threshold as a probability above 0 and at most 1, naming where a bad one came from', () => {
    const dir = tempDir();
    try {
      assert.equal(resolveSettings({ flags: {}, env: {}, cwd: dir.path }).settings.riskThreshold, 0.6);
      assert.equal(resolveSettings({ flags: {}, env: { ORDERPULSE_RISK_THRESHOLD: '0.45' }, cwd: dir.path }).settings.riskThreshold, 0.45);
      assert.equal(resolveSettings({ flags: { riskThreshold: '1' }, env: { ORDERPULSE_RISK_THRESHOLD: '0.45' }, cwd: dir.path }).settings.riskThreshold, 1);
      for (const bad of ['0', '1.5', '-0.2', 'high']) {
        assert.throws(() => resolveSettings({ flags: {}, env: { ORDERPULSE_RISK_THRESHOLD: bad }, cwd: dir.path }), /ORDERPULSE_RISK_THRESHOLD .*must be a probability above 0 and at most 1/, bad);
      }
      assert.throws(() => resolveSettings({ flags: { riskThreshold: '2' }, env: {}, cwd: dir.path }), /--risk-threshold \(from the flag\) must be a probability/);
    } finally {
      dir.remove();
    }
  });

  it('names the variable and the bad value', () => {
    assert.throws(
      () => resolveSettings({ flags: {}, env: { ORDERPULSE_PARTITIONS: 'many' }, cwd: '/' }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_CONFIG_BAD_VALUE');
        assert.match(e.message, /ORDERPULSE_PARTITIONS/);
        assert.match(e.message, /"many"/);
        return true;
      },
    );
    assert.throws(() => resolveSettings({ flags: {}, env: { ORDERPULSE_DURABILITY: 'maybe' }, cwd: '/' }), /process.*power/);
  });

  it('refuses a config file with unknown keys or bad JSON, naming the file', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'c.json');
      writeFileSync(file, JSON.stringify({ partitons: 3 }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_CONFIG_UNKNOWN_KEY');
        assert.ok(e.message.includes(file));
        assert.match(e.message, /"partitons"/);
        return true;
      });
      writeFileSync(file, '{ not json');
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), { code: 'OP_CONFIG_BAD_JSON' });
      assert.throws(
        () => resolveSettings({ flags: {}, configFile: join(dir.path, 'missing.json'), env: {}, cwd: dir.path }),
        { code: 'OP_CONFIG_UNREADABLE' },
      );
      writeFileSync(file, JSON.stringify({ batchSize: 0 }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), /"batchSize" in .*c\.json/);
    } finally {
      dir.remove();
    }
  });

  it('reads the cluster settings: brokers as a list, a registry URL, topic replicas', () => {
    const dir = tempDir();
    try {
      const defaults = resolveSettings({ flags: {}, env: {}, cwd: dir.path });
      assert.deepEqual(defaults.settings.kafka, []);
      assert.equal(defaults.settings.registry, '');
      assert.equal(defaults.settings.kafkaReplicas, 3);

      const fromFlags = resolveSettings({
        flags: { kafka: ' kafka-1:9092, 10.0.0.2:19094 ', registry: 'https://user:secret@registry.example:8081/apis/ccompat/v7' },
        env: { ORDERPULSE_KAFKA: 'ignored:1', ORDERPULSE_KAFKA_REPLICAS: '1' },
        cwd: dir.path,
      });
      assert.deepEqual(fromFlags.settings.kafka, ['kafka-1:9092', '10.0.0.2:19094']);
      assert.equal(fromFlags.sources.kafka, 'flag');
      assert.equal(fromFlags.settings.registry, 'https://user:secret@registry.example:8081/apis/ccompat/v7');
      assert.equal(fromFlags.settings.kafkaReplicas, 1);

      writeFileSync(
        join(dir.path, 'orderpulse.config.json'),
        JSON.stringify({ kafka: ['a:1', 'b:65535'], registry: 'http://127.0.0.1:8081', kafkaReplicas: 2 }),
      );
      const fromFile = resolveSettings({ flags: {}, env: {}, cwd: dir.path });
      assert.deepEqual(fromFile.settings.kafka, ['a:1', 'b:65535']);
      assert.equal(fromFile.sources.kafka, 'config file');
      assert.equal(fromFile.settings.kafkaReplicas, 2);
      writeFileSync(join(dir.path, 'orderpulse.config.json'), JSON.stringify({ kafka: 'a:1,b:2' }));
      assert.deepEqual(resolveSettings({ flags: {}, env: {}, cwd: dir.path }).settings.kafka, ['a:1', 'b:2']);
    } finally {
      dir.remove();
    }
  });

  it('refuses brokers that are not host:port with a port from 1 to 65535, naming where they came from', () => {
    const refused = (flags: Record<string, unknown>, env: Record<string, string>, pattern: RegExp): void => {
      assert.throws(
        () => resolveSettings({ flags, env, cwd: '/' }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'OP_CONFIG_BAD_VALUE');
          assert.match(e.message, pattern);
          return true;
        },
      );
    };
    refused({ kafka: 'localhost' }, {}, /--kafka \(from the flag\) must be a list of brokers, host:port,host:port; "localhost" is not host:port/);
    refused({}, { ORDERPULSE_KAFKA: 'a:9092,b:0' }, /ORDERPULSE_KAFKA .*"b:0" has a port outside 1\.\.65535/);
    refused({}, { ORDERPULSE_KAFKA: 'a:65536' }, /"a:65536" has a port outside 1\.\.65535/);
    refused({}, { ORDERPULSE_KAFKA: 'a:9092,' }, /"" is not host:port/);
    refused({}, { ORDERPULSE_KAFKA: 'a b:9092' }, /"a b:9092" is not host:port/);
    refused({}, { ORDERPULSE_KAFKA: 'a:90x' }, /"a:90x" is not host:port/);
    refused({}, { ORDERPULSE_KAFKA: 'kafka://a:9092' }, /"kafka:\/\/a:9092" is not host:port/);
    refused({}, { ORDERPULSE_KAFKA_REPLICAS: '0' }, /ORDERPULSE_KAFKA_REPLICAS .*must be a whole number from 1 to 32767/);
    const dir = tempDir();
    try {
      const file = join(dir.path, 'c.json');
      writeFileSync(file, JSON.stringify({ kafka: ['a:1', 2] }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), /"kafka" in .*c\.json .*must be a list of brokers/);
      writeFileSync(file, JSON.stringify({ kafka: [] }));
      assert.throws(() => resolveSettings({ flags: {}, configFile: file, env: {}, cwd: dir.path }), /"kafka" in .*must be a list of brokers/);
    } finally {
      dir.remove();
    }
  });

  it('refuses a registry or S3 endpoint that is not an http(s) URL, and a warehouse, catalog or region it cannot use', () => {
    const cases: [Record<string, unknown>, Record<string, string>, RegExp][] = [
      [{ registry: 'registry:8081' }, {}, /--registry \(from the flag\) must be an http:\/\/ or https:\/\/ URL \(not registry:\)/],
      [{}, { ORDERPULSE_REGISTRY: 'not a url' }, /ORDERPULSE_REGISTRY .*must be an http:\/\/ or https:\/\/ URL, got "not a url"/],
      [{}, { ORDERPULSE_REGISTRY: 'ftp://host/x' }, /not ftp:/],
      [{ s3Endpoint: '127.0.0.1:8333' }, {}, /--s3-endpoint \(from the flag\) must be an http:\/\/ or https:\/\/ URL/],
      [{ s3Region: 'US East' }, {}, /--s3-region \(from the flag\) must be a region name such as us-east-1/],
      [{ warehouse: 'gs://bucket/x' }, {}, /--warehouse \(from the flag\) must be a local directory or s3:\/\/bucket\/prefix/],
      [{}, { ORDERPULSE_WAREHOUSE: 's3://' }, /ORDERPULSE_WAREHOUSE .*must be a local directory or s3:\/\/bucket\/prefix/],
      [{ catalog: 'mysql://db/x' }, {}, /--catalog \(from the flag\) must be a SQLite file or a postgres:\/\/ URL/],
    ];
    for (const [flags, env, pattern] of cases) {
      assert.throws(() => resolveSettings({ flags, env, cwd: '/' }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_CONFIG_BAD_VALUE');
        assert.match(e.message, pattern);
        return true;
      });
    }
    const ok = resolveSettings({
      flags: { warehouse: 's3://bucket/some/prefix', catalog: 'postgresql://u@h:5432/db', s3Endpoint: 'http://127.0.0.1:8333', s3Region: 'eu-west-3' },
      env: {},
      cwd: '/',
    }).settings;
    assert.equal(ok.warehouse, 's3://bucket/some/prefix');
    assert.equal(ok.catalog, 'postgresql://u@h:5432/db');
    assert.equal(resolveSettings({ flags: { catalog: 'jdbc:sqlite:/tmp/c.db', warehouse: 'relative/dir' }, env: {}, cwd: '/' }).settings.catalog, 'jdbc:sqlite:/tmp/c.db');
  });
});
