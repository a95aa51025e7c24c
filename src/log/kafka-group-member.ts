import type { Consumer as KafkaClient } from '@platformatic/kafka';
import { LogError } from './errors.js';
import type { KafkaEventLog } from './kafka-log.js';
import type { TopicMeta } from './kafka-support.js';
import { MAX_FETCH_WAIT_MS, byTopicThenPartition, closeWithoutLeaving, coordinatorMoved, delay, isUnreachable, kafkaErrorIds, partitionKey } from './kafka-support.js';
import type { CommittedOffset, Consumer, LogRecord } from './types.js';
import { checkOffset, checkPollTimeout } from './validation.js';

/** One assigned partition of a group member: where it reads next, and records fetched but not yet returned. */
interface MemberPartition {
  readonly topic: TopicMeta;
  readonly partition: number;
  position: number;
  buffered: LogRecord[];
  /** Bumped by `seek`, so a fetch that was under way when the position moved is dropped. */
  epoch: number;
}

/**
 * A member of a Kafka consumer group. The client library keeps the membership (join, heartbeats,
 * rejoining when the group rebalances); this class follows its assignment, keeps a position per
 * assigned partition and fetches from the partitions' leaders on `poll`. A partition newly assigned
 * starts at the group's committed offset, else at the earliest or latest offset.
 *
 * When a heartbeat fails (the group's coordinator died or moved), the member replaces its client with
 * a new one that finds the coordinator afresh and joins again; the client library would keep asking
 * the old coordinator. The group drops the old membership when its session times out and then
 * assigns the partitions again. Fetches go through the log's reader client, whose metadata follows
 * the leaders.
 */
export class KafkaGroupMember implements Consumer {
  private readonly partitions = new Map<string, MemberPartition>();
  private client!: KafkaClient;
  /** The client being replaced after a failed heartbeat, while the new one joins. */
  private replacing: Promise<void> | undefined;
  /**
   * The client's assignment this member last followed. The client replaces the object when a
   * rebalance completes (its generation id changes earlier, before the new assignment arrives).
   */
  private followed: unknown = undefined;
  private rotation = 0;
  private polling = false;
  private closed = false;
  /** A failure the client reported in the background (a rejoin that failed), thrown by the next poll. */
  private backgroundFailure: unknown = undefined;
  /** When fetches began to fail for want of an answering broker (a failover), or undefined. */
  private unansweredSince: number | undefined;
  /** Fetches under way (at most one per leader), and the partitions they ask for. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly fetching = new Set<string>();
  /** A fetch's failure, thrown (or, for a failover, waited out) by the next poll. */
  private fetchFailure: Error | undefined = undefined;
  /** A fetch found a partition's leader moved: the metadata is refreshed before the next. */
  private stale = false;

  constructor(
    private readonly log: KafkaEventLog,
    private readonly join: () => Promise<KafkaClient>,
    private readonly group: string,
    private readonly startFrom: 'earliest' | 'latest',
    private readonly maxRecords: number,
  ) {}

  /** @internal Joins the group and takes the first assignment, so `latest` means the end offsets at the time of joining. */
  async start(): Promise<void> {
    this.use(await this.join());
    try {
      await this.followAssignment();
    } catch (error) {
      await this.client.close().catch(() => closeWithoutLeaving(this.client));
      throw error;
    }
  }

  private use(client: KafkaClient): void {
    this.client = client;
    this.followed = undefined;
    client.on('error', (error: unknown) => {
      if (client === this.client) this.backgroundFailure = error;
    });
    client.on('consumer:heartbeat:error', (event: { error?: unknown }) => {
      // Only a coordinator out of reach, or no longer the coordinator; the client handles the rest.
      if (!isUnreachable(event.error) && !coordinatorMoved(event.error)) return;
      if (client === this.client && this.replacing === undefined && !this.closed) this.replacing = this.replaceClient(client);
    });
  }

  /** After a failed heartbeat: a new client joins the group (through the log's failover window). */
  private async replaceClient(old: KafkaClient): Promise<void> {
    await closeWithoutLeaving(old);
    try {
      if (this.closed || this.log.isClosed) return;
      const client = await this.join();
      if (this.closed || this.log.isClosed) await client.close().catch(() => closeWithoutLeaving(client));
      else this.use(client);
    } catch (error) {
      this.backgroundFailure = error;
    } finally {
      this.replacing = undefined;
    }
  }

  assignment(): readonly { topic: string; partition: number }[] {
    return [...this.partitions.values()].map((p) => ({ topic: p.topic.name, partition: p.partition })).sort(byTopicThenPartition);
  }

  /** Brings the partitions in line with the client's latest assignment (after a rebalance). */
  private async followAssignment(): Promise<void> {
    const current = this.client.assignments;
    // null: between leaving and rejoining; the partitions stay until a new assignment arrives.
    if (current === this.followed || current === null) return;
    const assigned = new Map<string, { topic: string; partition: number }>();
    for (const { topic, partitions } of current) {
      for (const partition of partitions) assigned.set(partitionKey(topic, partition), { topic, partition });
    }
    for (const key of [...this.partitions.keys()]) if (!assigned.has(key)) this.partitions.delete(key);
    const added = [...assigned].filter(([key]) => !this.partitions.has(key)).map(([, p]) => p);
    if (added.length > 0) {
      const metas = new Map<string, TopicMeta>();
      for (const { topic } of added) if (!metas.has(topic)) metas.set(topic, await this.log.topic(topic, this.log.readerClient));
      const committed = await this.log.committedByPartition(this.group);
      const needStart = added.some((p) => !committed.has(partitionKey(p.topic, p.partition)));
      const offsets = needStart
        ? await this.log.offsetsOf([...metas.values()])
        : new Map<string, { beginning: number[]; end: number[] }>();
      for (const { topic, partition } of added) {
        const key = partitionKey(topic, partition);
        const range = offsets.get(topic);
        const position =
          committed.get(key) ?? (this.startFrom === 'earliest' ? range?.beginning[partition] : range?.end[partition]) ?? 0;
        this.partitions.set(key, { topic: metas.get(topic)!, partition, position, buffered: [], epoch: 0 });
      }
    }
    // Only now: a failure above leaves the assignment unfollowed, so the next poll tries again.
    this.followed = current;
  }

  async poll(timeoutMs = 0): Promise<readonly LogRecord[]> {
    this.assertOpen();
    checkPollTimeout(timeoutMs);
    if (this.polling) throw new LogError('OP_LOG_BAD_REQUEST', 'poll called while another poll of this consumer is pending');
    this.polling = true;
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (this.closed || this.log.isClosed) return [];
        if (this.backgroundFailure !== undefined) {
          const failure = this.backgroundFailure;
          this.backgroundFailure = undefined;
          throw this.log.fail(failure, 'the consumer lost its group membership', { group: this.group });
        }
        await this.followAssignment();
        const ready = this.takeBuffered();
        if (ready.length > 0) return ready;
        const wait = Math.max(0, Math.min(deadline - Date.now(), MAX_FETCH_WAIT_MS));
        await this.fetchAssigned(wait);
        if (this.partitions.size > 0 && [...this.partitions.values()].some((p) => p.buffered.length > 0)) continue;
        if (Date.now() >= deadline) return [];
      }
    } catch (error) {
      if (this.closed || this.log.isClosed) return [];
      throw this.log.fail(error, 'cannot poll', { group: this.group });
    } finally {
      this.polling = false;
    }
  }

  /**
   * Fetches, from its leader, every assigned partition with nothing buffered and no fetch under way,
   * and waits until one fetch under way settles or `maxWaitMs` passes. Each leader is asked on its
   * own: a broker with nothing to send holds its answer for the whole wait, and the records another
   * broker sent meanwhile must not wait for it. A fetch outlives the poll that began it; its records
   * are buffered when it answers, for this poll or the next.
   */
  private async fetchAssigned(maxWaitMs: number): Promise<void> {
    await this.settleFetchFailure(maxWaitMs);
    await this.refreshIfStale();
    const byLeader = new Map<number, MemberPartition[]>();
    for (const [key, state] of this.partitions) {
      if (state.buffered.length > 0 || this.fetching.has(key)) continue;
      const leader = state.topic.leaders[state.partition] ?? -1;
      const states = byLeader.get(leader);
      if (states === undefined) byLeader.set(leader, [state]);
      else states.push(state);
    }
    for (const states of byLeader.values()) this.startFetch(states, maxWaitMs);
    if (this.inFlight.size === 0) {
      // Nothing assigned (more members than partitions): wait as a fetch would.
      if (this.partitions.size === 0 && maxWaitMs > 0) await delay(maxWaitMs);
      return;
    }
    if (maxWaitMs === 0) {
      // Not waiting: the fetches made now do not wait, so this is one answer from each leader (a
      // fetch an earlier poll left under way may still hold its answer, up to its own wait).
      await Promise.all(this.inFlight);
    } else {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
      try {
        await Promise.race([...this.inFlight, waited]);
      } finally {
        clearTimeout(timer);
      }
      // More than a poll returns: a backlog. Then every leader's answer is waited for, so that the
      // partitions are shared fairly; a leader with records answers at once.
      if (this.bufferedRecords() > this.maxRecords) await Promise.all(this.inFlight);
    }
    await this.settleFetchFailure(maxWaitMs);
    await this.refreshIfStale();
  }

  /** After a fetch found a leader moved, or a broker did not answer: the metadata the next fetch routes by. */
  private async refreshIfStale(): Promise<void> {
    if (!this.stale) return;
    this.stale = false;
    await this.refreshMetadata();
  }

  private bufferedRecords(): number {
    let n = 0;
    for (const state of this.partitions.values()) n += state.buffered.length;
    return n;
  }

  /** One fetch request to the leader of `states`; it never rejects (a failure is kept for the next poll). */
  private startFetch(states: readonly MemberPartition[], maxWaitMs: number): void {
    const asked = states.map((state) => ({ state, key: partitionKey(state.topic.name, state.partition), epoch: state.epoch, offset: state.position }));
    for (const { key } of asked) this.fetching.add(key);
    const fetch = (async () => {
      const answers = await this.log.fetchFrom(
        this.log.readerClient,
        asked.map(({ state, offset }) => ({ topic: state.topic, partition: state.partition, offset })),
        maxWaitMs,
      );
      this.unansweredSince = undefined;
      for (const { state, key, epoch, offset } of asked) {
        const answer = answers.get(key);
        // Dropped: seeked meanwhile, no longer assigned, or closed.
        if (answer === undefined || state.epoch !== epoch || this.partitions.get(key) !== state || this.closed) continue;
        if (answer.error === 'OFFSET_OUT_OF_RANGE') {
          // As Kafka's auto.offset.reset: a position outside the log moves to the start or the end.
          const range = (await this.log.offsetsOf([state.topic])).get(state.topic.name)!;
          if (state.epoch === epoch) state.position = this.startFrom === 'earliest' ? range.beginning[state.partition]! : range.end[state.partition]!;
          continue;
        }
        if (answer.error !== null) {
          this.stale = true;
          continue;
        }
        state.buffered = answer.records.filter((r) => r.offset >= offset);
      }
    })()
      .catch((error: unknown) => {
        if (!this.closed) this.fetchFailure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        for (const { key } of asked) this.fetching.delete(key);
        this.inFlight.delete(fetch);
      });
    this.inFlight.add(fetch);
  }

  /**
   * Throws a failed fetch's error, except a broker that does not answer (a failover) for as long as
   * the log's failover window: then, after a pause, the next fetch is routed by fresh metadata.
   */
  private async settleFetchFailure(maxWaitMs: number): Promise<void> {
    const error = this.fetchFailure;
    if (error === undefined) return;
    this.fetchFailure = undefined;
    if (!(error instanceof LogError) || !error.retryable) throw error;
    this.unansweredSince ??= Date.now();
    if (Date.now() - this.unansweredSince >= this.log.failoverWindowMs) throw error;
    await delay(Math.min(maxWaitMs, MAX_FETCH_WAIT_MS));
    this.stale = true;
  }

  /** Routes the next fetch of every assigned partition by fresh metadata. */
  private async refreshMetadata(): Promise<void> {
    this.log.readerClient.clearMetadata();
    const fresh = new Map<string, TopicMeta>();
    for (const [key, state] of this.partitions) {
      let meta = fresh.get(state.topic.name);
      if (meta === undefined) {
        meta = await this.log.topic(state.topic.name, this.log.readerClient, true);
        fresh.set(meta.name, meta);
      }
      this.partitions.set(key, { ...state, topic: meta });
    }
  }

  /**
   * Up to `maxRecords` buffered records, shared fairly among the partitions that have some (rotating
   * which goes first), so a partition with a deep backlog cannot starve the others.
   */
  private takeBuffered(): LogRecord[] {
    const states = [...this.partitions.values()];
    if (states.length === 0) return [];
    const start = this.rotation++ % states.length;
    let open = [...states.slice(start), ...states.slice(0, start)].filter((s) => s.buffered.length > 0);
    const take = new Map<MemberPartition, number>();
    let remaining = this.maxRecords;
    while (remaining > 0 && open.length > 0) {
      const share = Math.max(1, Math.floor(remaining / open.length));
      const next: MemberPartition[] = [];
      for (const state of open) {
        if (remaining === 0) break;
        const already = take.get(state) ?? 0;
        const n = Math.min(share, state.buffered.length - already, remaining);
        take.set(state, already + n);
        remaining -= n;
        if (already + n < state.buffered.length) next.push(state);
      }
      open = next;
    }
    const out: LogRecord[] = [];
    for (const [state, n] of take) {
      if (n === 0) continue;
      const records = state.buffered.splice(0, n);
      state.position = records[records.length - 1]!.offset + 1;
      out.push(...records);
    }
    return out;
  }

  seek(topic: string, partition: number, offset: number): void {
    this.assertOpen();
    const state = this.partitions.get(partitionKey(topic, partition));
    if (state === undefined) {
      throw new LogError('OP_LOG_NOT_ASSIGNED', `partition ${topic}/${partition} is not assigned to this consumer`, {
        details: { topic, partition, group: this.group },
      });
    }
    state.position = checkOffset(offset, 'a seek offset');
    state.buffered = [];
    state.epoch++;
  }

  async commit(offsets: readonly CommittedOffset[]): Promise<void> {
    this.assertOpen();
    const byTopic = await this.log.checkCommit(offsets);
    const entries = [...byTopic].flatMap(([topic, list]) =>
      list.map((e) => ({ topic, partition: e.partition, offset: BigInt(e.offset), leaderEpoch: -1 })),
    );
    if (entries.length === 0) return;
    try {
      await this.client.commit({ offsets: entries });
    } catch (error) {
      const ids = kafkaErrorIds(error);
      if (ids.has('ILLEGAL_GENERATION') || ids.has('UNKNOWN_MEMBER_ID') || ids.has('REBALANCE_IN_PROGRESS')) {
        throw new LogError(
          'OP_LOG_REBALANCED',
          `cannot commit offsets for group "${this.group}": the group rebalanced and this member's generation is stale; poll again and commit what it reads then`,
          { cause: error, retryable: true, details: { group: this.group, kafkaErrors: [...ids] } },
        );
      }
      throw this.log.fail(error, 'cannot commit offsets', { group: this.group });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.log.release(this);
    // A client joining in place of one whose coordinator died sees `closed` and closes itself.
    const client = this.client;
    try {
      // Leaves the group (the others rebalance at once) and closes the connections.
      await client.close();
    } catch {
      // The coordinator does not answer: the group drops this member when its session times out.
      await closeWithoutLeaving(client);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError('OP_LOG_CONSUMER_CLOSED', `the consumer of group "${this.group}" is closed`);
    if (this.log.isClosed)
      throw new LogError('OP_LOG_CONSUMER_CLOSED', `the consumer of group "${this.group}" is closed (its log was closed)`);
  }
}
