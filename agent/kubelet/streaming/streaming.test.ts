import t from 'tap';
import zlib from 'node:zlib';
import { controlFrame, dataFrame, FLAG_FIN, FrameType, headerBlock, SpdyFrameParser, StoredZlibWriter } from './spdy.js';
import { acceptKey, encodeFrame, FrameParser, Opcode } from '../../../api/websocket.js';

t.test('WebSocket accept key (RFC 6455 section 1.3 example)', async (t) => {
  t.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

t.test('WebSocket frames: masked client frames of every length form, split across chunks', async (t) => {
  const mask = Buffer.from([1, 2, 3, 4]);
  const payloads = [Buffer.alloc(0), Buffer.from([0, 104, 105]), Buffer.alloc(300, 7), Buffer.alloc(70_000, 9)];
  const wire = Buffer.concat(payloads.map((p) => encodeFrame(Opcode.binary, p, { mask })));
  const parser = new FrameParser();
  const frames = [];
  for (let at = 0; at < wire.length; at += 1000) frames.push(...parser.push(wire.subarray(at, at + 1000)));
  t.equal(frames.length, 4);
  frames.forEach((f, i) => {
    t.equal(f.opcode, Opcode.binary);
    t.ok(f.fin);
    t.ok(f.payload.equals(payloads[i]), `payload ${i} (${payloads[i].length} bytes) unmasked intact`);
  });
  const server = encodeFrame(Opcode.close, Buffer.from([0x03, 0xe8]));
  t.same([...server.subarray(0, 2)], [0x88, 2], 'server frames are unmasked');
  t.throws(() => new FrameParser().push(Buffer.from([0xc2, 0x00])), /reserved bits/);
});

t.test('SPDY frames: control and data frames round-trip through the parser', async (t) => {
  const wire = Buffer.concat([
    controlFrame(FrameType.ping, 0, Buffer.from([0, 0, 0, 2])),
    dataFrame(3, Buffer.from('hello'), false),
    dataFrame(5, Buffer.alloc(0), true),
  ]);
  t.same([...wire.subarray(0, 8)], [0x80, 3, 0, 6, 0, 0, 0, 4], 'control frame header: version 3, type, flags, length');
  const parser = new SpdyFrameParser();
  const frames = [...parser.push(wire.subarray(0, 11)), ...parser.push(wire.subarray(11))];
  t.same(
    frames.map((f) => (f.control ? ['control', f.type, f.payload.readUInt32BE(0)] : ['data', f.streamId, f.data.toString(), f.flags & FLAG_FIN])),
    [
      ['control', FrameType.ping, 2],
      ['data', 3, 'hello', 0],
      ['data', 5, '', FLAG_FIN],
    ],
  );
});

t.test('SPDY header blocks: name/value layout inside a zlib stream any inflater reads', async (t) => {
  const block = headerBlock({ StreamType: 'stdin' });
  t.same([...block.subarray(0, 8)], [0, 0, 0, 1, 0, 0, 0, 10], 'one pair, name length 10');
  t.equal(block.subarray(8, 18).toString(), 'streamtype', 'names are lower-cased');
  const writer = new StoredZlibWriter();
  const first = writer.block(block);
  const second = writer.block(headerBlock({ streamtype: 'stdout' }));
  t.same([...first.subarray(0, 2)], [0x78, 0x01], 'the stream opens with a zlib header once');
  const inflated = zlib.inflateSync(Buffer.concat([first, second]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  t.ok(inflated.equals(Buffer.concat([block, headerBlock({ streamtype: 'stdout' })])), 'both blocks inflate back, in order');
});
