import { describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { MemoryEventStore } from '../../src/transports/http.js';

function result(id: number, size: number): JSONRPCMessage {
  return {
    jsonrpc: '2.0',
    id,
    result: { content: [{ type: 'text', text: 'x'.repeat(size) }] },
  } as JSONRPCMessage;
}

describe('SSE event store (resumption buffer of one session)', () => {
  it('never holds more than its byte budget, however many responses pass through', async () => {
    const store = new MemoryEventStore(1024 * 1024);
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) ids.push(await store.storeEvent('s1', result(i, 57 * 1024)));
    expect(store.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(store.size).toBeGreaterThan(10);
    expect(store.size).toBeLessThan(20);
    // The newest events are the ones kept, and replay after a kept id still works.
    const replayed: string[] = [];
    const streamId = await store.replayEventsAfter(ids[ids.length - 3]!, {
      send: async (id) => void replayed.push(id),
    });
    expect(streamId).toBe('s1');
    expect(replayed).toEqual(ids.slice(-2));
    expect(await store.getStreamIdForEventId(ids[0]!)).toBeUndefined();
  });

  it('does not keep a single event larger than the whole budget', async () => {
    const store = new MemoryEventStore(10_000);
    await store.storeEvent('s1', result(1, 100));
    await store.storeEvent('s1', result(2, 50_000));
    expect(store.size).toBe(1);
    expect(store.bytes).toBeLessThanOrEqual(10_000);
  });
});
