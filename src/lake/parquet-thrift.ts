/**
 * The byte-level parts of writing Parquet: a growable buffer with the little-endian writes values
 * need, and Thrift's compact protocol, the encoding of Parquet's page headers and footer.
 */

export const enum Thrift {
  Stop = 0,
  True = 1,
  False = 2,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}

/** A growable byte buffer. */
export class Bytes {
  buffer: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  int32(n: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(n, this.length);
    this.length += 4;
  }

  /** A safe integer or a bigint as a little-endian two's-complement int64. */
  int64(n: number | bigint): void {
    this.reserve(8);
    if (typeof n === 'bigint') {
      this.buffer.writeBigInt64LE(n, this.length);
    } else {
      const high = Math.floor(n / 4294967296);
      this.buffer.writeUInt32LE(n - high * 4294967296, this.length);
      this.buffer.writeInt32LE(high, this.length + 4);
    }
    this.length += 8;
  }

  float(n: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(n, this.length);
    this.length += 4;
  }

  double(n: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(n, this.length);
    this.length += 8;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** An unsigned LEB128 varint; numbers up to 2^53, bigints of any size. */
  unsignedVarint(n: number | bigint): void {
    if (typeof n === 'number' && n < 0x80000000) {
      this.reserve(5);
      while (n >= 0x80) {
        this.buffer[this.length++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      this.buffer[this.length++] = n;
      return;
    }
    let v = BigInt(n);
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Thrift's compact protocol: the field headers, integers, binaries, structs and lists Parquet uses. */
export class CompactWriter {
  readonly out: Bytes;
  #lastField: number[] = [0];

  constructor(out: Bytes) {
    this.out = out;
  }

  #field(id: number, type: Thrift): void {
    const last = this.#lastField[this.#lastField.length - 1] as number;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.out.byte((delta << 4) | type);
    else {
      this.out.byte(type);
      this.out.unsignedVarint(zigzag(id));
    }
    this.#lastField[this.#lastField.length - 1] = id;
  }

  bool(id: number, value: boolean): void {
    this.#field(id, value ? Thrift.True : Thrift.False);
  }

  i32(id: number, value: number): void {
    this.#field(id, Thrift.I32);
    this.out.unsignedVarint(zigzag(value));
  }

  i64(id: number, value: number): void {
    this.#field(id, Thrift.I64);
    this.out.unsignedVarint(zigzag(value));
  }

  binary(id: number, value: string | Uint8Array): void {
    this.#field(id, Thrift.Binary);
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.out.unsignedVarint(bytes.length);
    this.out.bytes(bytes);
  }

  struct(id: number, body: () => void): void {
    this.#field(id, Thrift.Struct);
    this.#structBody(body);
  }

  /** A list field whose elements are structs (`element` writes one's fields) or i32 / binary values. */
  list<T>(id: number, elementType: Thrift.Struct | Thrift.I32 | Thrift.Binary, items: readonly T[], element: (item: T) => void): void {
    this.#field(id, Thrift.List);
    if (items.length < 15) this.out.byte((items.length << 4) | elementType);
    else {
      this.out.byte(0xf0 | elementType);
      this.out.unsignedVarint(items.length);
    }
    for (const item of items) {
      if (elementType === Thrift.Struct) this.#structBody(() => element(item));
      else element(item);
    }
  }

  /** A bare i32 element of a list. */
  i32Element(value: number): void {
    this.out.unsignedVarint(zigzag(value));
  }

  /** A bare binary element of a list. */
  binaryElement(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.out.unsignedVarint(bytes.length);
    this.out.bytes(bytes);
  }

  /** A top-level struct (a page header, the footer). */
  message(body: () => void): void {
    this.#structBody(body);
  }

  #structBody(body: () => void): void {
    this.#lastField.push(0);
    body();
    this.out.byte(Thrift.Stop);
    this.#lastField.pop();
  }
}

/** Zigzag of a safe integer, as compact-protocol integers are written. */
function zigzag(n: number): number | bigint {
  if (n >= 0 && n < 0x40000000) return n * 2;
  if (n < 0 && n >= -0x40000000) return -n * 2 - 1;
  const b = BigInt(n);
  return b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
}
