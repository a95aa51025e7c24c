import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import { TOPICS } from '../events/index.js';
import type { Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import { DEFAULT_GRADE_WEIGHT, GRADE_WEIGHTS, PRODUCT_GRADES_TABLE, ProductGrades, gradeWeightFrom } from './grades.js';
import { StreamProcessor } from './processor.js';
import { H, T0, placed } from './test-events.js';
import type { OrderFacts } from './types.js';

const order = (...productIds: string[]): OrderFacts => ({ orderId: 'o', productIds, sellerIds: [], orderValueCents: 100, estimatedDeliveryDate: '2018-01-01' });

describe('gradeWeightFrom', () => {
  const weight = gradeWeightFrom(new Map([['top', 'A'], ['low', 'E'], ['odd', 'Z']]));

  it('weighs an order as its best-graded product', () => {
    assert.equal(weight(order('low', 'top')), GRADE_WEIGHTS.A);
    assert.equal(weight(order('low')), GRADE_WEIGHTS.E);
  });

  it('gives products without a known grade the default weight', () => {
    assert.equal(weight(order('new')), DEFAULT_GRADE_WEIGHT);
    assert.equal(weight(order('odd')), DEFAULT_GRADE_WEIGHT, 'a grade outside A..E is not a grade');
    assert.equal(weight(order()), DEFAULT_GRADE_WEIGHT);
    assert.equal(weight(order('new', 'low')), GRADE_WEIGHTS.E, 'a known grade wins over none');
  });
});

describe('ProductGrades and a running processor', () => {
  const dirs: { remove: () => void }[] = [];
  const runtimes: Runtime[] = [];
  after(async () => {
    for (const runtime of runtimes) await runtime.close();
    for (const dir of dirs) dir.remove();
  });
  const fresh = (): Runtime => {
    const dir = tempDir();
    dirs.push(dir);
    const runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    runtimes.push(runtime);
    return runtime;
  };
  const writeGrades = async (lake: Lake, grades: readonly [string, string][]): Promise<void> => {
    const table = await lake.ensureTable(PRODUCT_GRADES_TABLE, {
      columns: [
        { name: 'product_id', type: 'string', required: true },
        { name: 'grade', type: 'string', required: true },
      ],
    });
    await table.overwrite(
      grades.map(([productId, grade]) => ({ product_id: productId, grade })),
      { filter: [] },
    );
  };

  it('reads the grades again only when the table has a new snapshot, and asks the catalog at most every checkEveryMs', async () => {
    const lake = await fresh().lake();
    let now = 0;
    const grades = await ProductGrades.open(lake, { checkEveryMs: 1_000, now: () => now });
    assert.equal(grades.snapshotId, null);
    assert.equal(grades.weight(order('p1')), DEFAULT_GRADE_WEIGHT);

    let lookups = 0;
    let loads = 0;
    const lookup = lake.catalog.currentMetadataLocation.bind(lake.catalog);
    lake.catalog.currentMetadataLocation = (id) => {
      lookups++;
      return lookup(id);
    };
    const load = lake.table.bind(lake);
    lake.table = (name) => {
      loads++;
      return load(name);
    };

    await writeGrades(lake, [['p1', 'A']]);
    const [asked, loaded] = [lookups, loads];
    now = 999;
    assert.equal(await grades.refresh(), false, 'not due yet');
    assert.deepEqual([lookups, loads], [asked, loaded], 'not even the catalog was asked');
    now = 1_000;
    assert.equal(await grades.refresh(), true);
    assert.equal(grades.weight(order('p1')), GRADE_WEIGHTS.A);
    const written = (await load(PRODUCT_GRADES_TABLE)).currentSnapshot()?.['snapshot-id'];
    assert.equal(grades.snapshotId, written);

    const [askedAgain, loadedAgain] = [lookups, loads];
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      assert.equal(await grades.refresh(), false);
    }
    assert.equal(lookups - askedAgain, 5, 'one catalog lookup per check');
    assert.equal(loads, loadedAgain, 'no table read without a new snapshot');

    await writeGrades(lake, [['p1', 'E']]);
    now += 1_000;
    assert.equal(await grades.refresh(), true);
    assert.equal(grades.weight(order('p1')), GRADE_WEIGHTS.E);
  });

  it('weighs an order placed after the batch layer wrote new grades by them, while the processor runs', async () => {
    const runtime = fresh();
    const lake = await runtime.lake();
    const codec = await runtime.codec();
    await runtime.log.createTopic({ name: TOPICS.orders, partitions: 1 });
    await runtime.log.createTopic({ name: TOPICS.reviews, partitions: 1 });
    await runtime.log.append([codec.encode(placed('o1'))]);

    const opened = new Map<string, number>();
    const waiting: { orderId: string; resolve: () => void }[] = [];
    const approvalOpened = (orderId: string): Promise<void> =>
      opened.has(orderId) ? Promise.resolve() : new Promise((resolve) => waiting.push({ orderId, resolve }));
    const processor = await StreamProcessor.open({
      log: runtime.log,
      codec,
      lake,
      // The approval deadline (96 h after the purchase) passes as soon as the log goes quiet.
      idle: { afterMs: 0, advanceMs: 100 * H },
      gradesCheckEveryMs: 0,
      onAlerts: (changes) => {
        for (const { change } of changes) {
          if (change.kind !== 'opened' || change.alert.rule !== 'approval_overdue') continue;
          opened.set(change.alert.orderId, change.alert.priority);
          for (const w of waiting.filter((w) => w.orderId === change.alert.orderId)) w.resolve();
        }
      },
    });
    const stop = new AbortController();
    const live = processor.run({ signal: stop.signal });
    const stoppedEarly = live.then(() => assert.fail('the processor stopped before the alert'));
    try {
      await Promise.race([approvalOpened('o1'), stoppedEarly]);
      // Order value R$ 170; no grades yet: weight 1.0.
      assert.equal(opened.get('o1'), 170);

      // The batch layer grades the order's second product A while the processor runs.
      await writeGrades(lake, [['p1', 'D'], ['p2', 'A']]);
      await runtime.log.append([codec.encode(placed('o2', T0 + 200 * H))]);
      await Promise.race([approvalOpened('o2'), stoppedEarly]);
      assert.equal(opened.get('o2'), 170 * GRADE_WEIGHTS.A, 'its best product is graded A');
    } finally {
      stop.abort();
      await live;
      stoppedEarly.catch(() => undefined);
    }
    // o1 was placed before the grades: it keeps its weight when its alert escalates.
    const o1 = processor.alert('o1', 'approval_overdue');
    assert.equal(o1?.state, 'escalated');
    assert.equal((o1?.priority ?? 0) / (1 + Math.floor((o1?.overdueMs ?? 0) / (24 * H))), 170);
  });
});
