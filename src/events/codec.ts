import avro from 'avsc';
import { EventsError } from './errors.js';
import { fromAvroRecord, toAvroRecord, UnknownEventTypeError } from './avro-records.js';
import type { MarketplaceEvent, TopicName } from './model.js';
import { TOPIC_NAMES, TOPIC_OF, eventKey } from './model.js';
import type { SchemaRegistry } from './registry-types.js';
import type { TopicSchema } from './schemas.js';
import { currentTopicSchemas } from './schemas.js';
import { WIRE_HEADER_SIZE, decodeWireFormat, wireSchemaId } from './wire-format.js';
import { createReadResolver } from './compatibility.js';

/** An event ready for the log: bytes in the Confluent wire format, keyed for its partition. */
export interface EncodedEvent {
  readonly topic: TopicName;
  readonly key: Buffer;
  readonly value: Buffer;
  /** The event time, used as the record timestamp. */
  readonly timestamp: number;
}

/** Where a value came from, so a decoding error can name it. */
export interface ValueLocation {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: number;
}

export interface EventCodecOptions {
  /**
   * Register the current schemas when opening (the embedded registry is OrderPulse's own). When
   * false, the schemas must already be registered (`orderpulse schemas register`): producers in
   * cluster mode never register on their own.
   */
  readonly registerSchemas: boolean;
  /** Where the `.avsc` files are; the repository's `schemas/` by default. */
  readonly schemaDir?: string;
}

interface WriterSchema {
  readonly id: number;
  readonly type: avro.Type;
}

interface ReadPath {
  readonly reader: avro.Type;
  readonly resolver: avro.Resolver;
}

/** The topic a value came from, as one OrderPulse has a schema for; `OP_EVENTS_UNKNOWN_TOPIC` otherwise. */
function topicOf(location: ValueLocation): TopicName {
  const topic = TOPIC_NAMES.find((t) => t === location.topic);
  if (topic === undefined) {
    throw new EventsError('OP_EVENTS_UNKNOWN_TOPIC', `${where(location)}: OrderPulse has no schema for this topic`, {
      details: { ...location },
    });
  }
  return topic;
}

function where(location: ValueLocation): string {
  const partition = location.partition === undefined ? '' : ` partition ${location.partition}`;
  const offset = location.offset === undefined ? '' : ` offset ${location.offset}`;
  return `topic ${location.topic}${partition}${offset}`;
}

const parse = (text: string): avro.Type => avro.Type.forSchema(JSON.parse(text) as avro.Schema, { wrapUnions: true });

/**
 * Encodes OrderPulse events as Avro in the Confluent wire format (magic byte 0, the schema's 4-byte
 * global id, the Avro body) and decodes them back, resolving each value from the schema it was
 * written with (found by its id in the registry) to the schema this code reads with. So a value
 * written by an older or newer producer still decodes, as Avro schema resolution allows.
 */
export class EventCodec {
  private readonly writers: ReadonlyMap<TopicName, WriterSchema>;
  private readonly readers: ReadonlyMap<TopicName, avro.Type>;
  /** Per topic, per writer schema id: how to read its values as this code's schema. */
  private readonly readPaths = new Map<TopicName, Map<number, ReadPath>>();
  private readonly registry: SchemaRegistry;
  private scratch = Buffer.allocUnsafe(64 * 1024);

  private constructor(
    registry: SchemaRegistry,
    writers: ReadonlyMap<TopicName, WriterSchema>,
  ) {
    this.registry = registry;
    this.writers = writers;
    this.readers = new Map([...writers].map(([topic, w]) => [topic, w.type]));
    for (const [topic, w] of writers) this.#remember(topic, w.id, { reader: w.type, resolver: w.type.createResolver(w.type) });
  }

  static async open(registry: SchemaRegistry, options: EventCodecOptions): Promise<EventCodec> {
    const schemas: ReadonlyMap<TopicName, TopicSchema> = currentTopicSchemas(options.schemaDir);
    const writers = new Map<TopicName, WriterSchema>();
    for (const [topic, schema] of schemas) {
      let id: number;
      if (options.registerSchemas) {
        id = await registry.register(schema.subject, schema.text);
      } else {
        const found = await registry.lookup(schema.subject, schema.text);
        if (found === null) {
          throw new EventsError(
            'OP_EVENTS_SCHEMA_NOT_REGISTERED',
            `schema ${schema.file} is not registered under subject ${schema.subject} in the ${registry.kind} registry; run \`orderpulse schemas register\` first`,
            { details: { subject: schema.subject, file: schema.file } },
          );
        }
        id = found.id;
      }
      writers.set(topic, { id, type: parse(schema.text) });
    }
    return new EventCodec(registry, writers);
  }

  /** The global schema id each topic's values are written with. */
  schemaIds(): ReadonlyMap<TopicName, number> {
    return new Map([...this.writers].map(([topic, w]) => [topic, w.id]));
  }

  encode(event: MarketplaceEvent): EncodedEvent {
    const topic = TOPIC_OF[event.type];
    const writer = this.writers.get(topic);
    if (writer === undefined) throw new Error(`no schema for topic ${topic}`);
    const record = toAvroRecord(event);
    let end = writer.type.encode(record, this.scratch, 5);
    while (end < 0) {
      // avsc returns minus the missing byte count when the buffer is too small.
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.scratch.length - end));
      end = writer.type.encode(record, this.scratch, 5);
    }
    this.scratch[0] = 0;
    this.scratch.writeUInt32BE(writer.id, 1);
    const value = Buffer.allocUnsafe(end);
    this.scratch.copy(value, 0, 0, end);
    return { topic, key: Buffer.from(eventKey(event), 'utf8'), value, timestamp: event.eventTime };
  }

  /**
   * Decodes one value. Resolves asynchronously only the first time a schema id is seen (it asks
   * the registry for the writer's schema); after that `decodeKnown` does the work synchronously.
   */
  async decode(value: Uint8Array, location: ValueLocation): Promise<MarketplaceEvent> {
    const known = this.decodeKnown(value, location);
    if (known !== undefined) return known;
    const topic = topicOf(location);
    const { schemaId } = this.unframe(value, location);
    await this.readPathFor(topic, schemaId, location);
    return this.decodeKnown(value, location) as MarketplaceEvent;
  }

  /**
   * `decode` without waiting: the event, or undefined when the value's writer schema has not been
   * seen yet (then `decode` asks the registry for it). A consumer's hot path: it reads the body in
   * place, with no view of it and no promise per value. Throws what `decode` throws.
   */
  decodeKnown(value: Uint8Array, location: ValueLocation): MarketplaceEvent | undefined {
    const topic = topicOf(location);
    const schemaId = wireSchemaId(value);
    if (schemaId === null) this.unframe(value, location); // throws the header's fault
    const path = this.readPaths.get(topic)?.get(schemaId as number);
    if (path === undefined) return undefined;
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    let record: unknown;
    try {
      const read = path.reader.decode(bytes, WIRE_HEADER_SIZE, path.resolver);
      if (read.offset < 0) throw new Error('truncated buffer');
      if (read.offset < bytes.length) throw new Error('trailing data');
      record = read.value;
    } catch (cause) {
      throw new EventsError(
        'OP_EVENTS_CORRUPT_VALUE',
        `${where(location)}: value does not decode with schema id ${String(schemaId)}: ${(cause as Error).message}`,
        { details: { ...location, schemaId }, cause },
      );
    }
    try {
      return fromAvroRecord(topic, record);
    } catch (cause) {
      if (!(cause instanceof UnknownEventTypeError)) throw cause;
      throw new EventsError('OP_EVENTS_UNKNOWN_EVENT_TYPE', `${where(location)}: ${cause.message}`, {
        details: { ...location, schemaId },
        cause,
      });
    }
  }

  private unframe(value: Uint8Array, location: ValueLocation): { schemaId: number; body: Uint8Array } {
    try {
      return decodeWireFormat(value);
    } catch (cause) {
      throw new EventsError('OP_EVENTS_BAD_WIRE_FORMAT', `${where(location)}: ${(cause as Error).message}`, {
        details: { ...location },
        cause,
      });
    }
  }

  #remember(topic: TopicName, schemaId: number, path: ReadPath): void {
    let paths = this.readPaths.get(topic);
    if (paths === undefined) this.readPaths.set(topic, (paths = new Map<number, ReadPath>()));
    paths.set(schemaId, path);
  }

  private async readPathFor(topic: TopicName, schemaId: number, location: ValueLocation): Promise<ReadPath> {
    let text: string;
    try {
      text = await this.registry.schemaById(schemaId);
    } catch (cause) {
      if (cause instanceof EventsError && cause.code === 'OP_EVENTS_UNKNOWN_SCHEMA_ID') {
        throw new EventsError(
          'OP_EVENTS_UNKNOWN_SCHEMA_ID',
          `${where(location)}: value names schema id ${schemaId}, which the ${this.registry.kind} registry does not have`,
          { details: { ...location, schemaId }, cause },
        );
      }
      throw cause;
    }
    const reader = this.readers.get(topic);
    if (reader === undefined) throw new Error(`no reader schema for topic ${topic}`);
    let resolver: avro.Resolver;
    try {
      resolver = createReadResolver(reader, parse(text));
    } catch (cause) {
      throw new EventsError(
        'OP_EVENTS_INCOMPATIBLE_SCHEMA',
        `${where(location)}: schema id ${schemaId} cannot be read as ${reader.name ?? topic}: ${(cause as Error).message}`,
        { details: { ...location, schemaId }, cause },
      );
    }
    const path = { reader, resolver };
    this.#remember(topic, schemaId, path);
    return path;
  }
}
