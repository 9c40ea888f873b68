import { describe, expect, it } from 'vitest';
import type { DomainEvent, StoredEvent } from '@memsidecar/core';
import { everyEvent, handles } from './projection';

type Opened = DomainEvent<'door.opened', { by: string }>;
type Closed = DomainEvent<'door.closed', { at: string }>;
type DoorEvent = Opened | Closed;

const stored = (type: string, data: unknown = {}): StoredEvent =>
  ({ seq: 1, id: 'e1', type, v: 1, at: '2026-01-01T00:00:00.000Z', tenant: 't', agent: 'a', block: 'kv', ns: 'n', entity: 'door', data });

describe('projection - the events a read model folds', () => {
  const canHandle = handles<DoorEvent>({ 'door.opened': true, 'door.closed': true });

  it('accepts each type of its union and nothing else', () => {
    expect(canHandle(stored('door.opened'))).toBe(true);
    expect(canHandle(stored('door.closed'))).toBe(true);
    expect(canHandle(stored('door.painted'))).toBe(false);
    expect(canHandle(stored('constructor'))).toBe(false);
    expect(canHandle(stored('toString'))).toBe(false);
  });

  it('narrows an event it accepts to its union, so its data is typed by its type', () => {
    const e = stored('door.opened', { by: 'ann' });
    if (!canHandle(e)) throw new Error('expected to handle door.opened');
    expect(e.type === 'door.opened' ? e.data.by : e.data.at).toBe('ann');
  });

  it('a read model of every event accepts any type', () => {
    expect(everyEvent(stored('door.painted'))).toBe(true);
  });

  it('does not compile with a type missing, an unknown type, or no union named', () => {
    // @ts-expect-error door.closed is missing
    handles<DoorEvent>({ 'door.opened': true });
    // @ts-expect-error door.painted is no DoorEvent
    handles<DoorEvent>({ 'door.opened': true, 'door.closed': true, 'door.painted': true });
    // @ts-expect-error the union must be named
    handles({ 'door.opened': true });
  });
});
