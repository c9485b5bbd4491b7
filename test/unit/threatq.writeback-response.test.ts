/**
 * ThreatQWriter reading the object it wrote out of a POST's `data`: only the item with the name
 * written (and for an attribute the value), or the only one whose name matches without case; never
 * just the first item (its id would be deleted later: an analyst's tag or attribute).
 */
import { describe, expect, it } from 'vitest';
import type { ThreatQClient } from '../../src/threatq/threatq-client.ts';
import { ThreatQWriter } from '../../src/threatq/threatq-writeback.ts';

/** A client answering every request 201 with `{"data": items}`. */
function writerAnswering(items: unknown[]): ThreatQWriter {
  const client = { name: 'tq', send: async () => ({ status: 201, headers: {}, body: JSON.stringify({ data: items }) }) };
  return new ThreatQWriter(client as unknown as ThreatQClient);
}

describe('ThreatQWriter: the written object in a POST response', () => {
  it('takes the tag with the name written, wherever it is in the list', async () => {
    const w = writerAnswering([{ id: 7, name: 'Analyst note' }, { id: 9, name: 'Blocked in Entra' }]);
    expect(await w.addTag(1, 'Blocked in Entra')).toEqual({ id: 9, name: 'Blocked in Entra' });
  });

  it('accepts the only tag whose name matches without case (ThreatQ keeps the existing spelling)', async () => {
    const w = writerAnswering([{ id: 7, name: 'Analyst note' }, { id: 9, name: 'blocked in entra' }]);
    expect(await w.addTag(1, 'Blocked in Entra')).toEqual({ id: 9, name: 'blocked in entra' });
  });

  it('refuses a response with no tag of that name: ERR_THREATQ_RESPONSE, never the first item', async () => {
    await expect(writerAnswering([{ id: 7, name: 'Analyst note' }]).addTag(1, 'Blocked in Entra')).rejects.toMatchObject({ code: 'ERR_THREATQ_RESPONSE' });
    await expect(writerAnswering([]).addTag(1, 'Blocked in Entra')).rejects.toMatchObject({ code: 'ERR_THREATQ_RESPONSE' });
  });

  it('takes the attribute with the name and value written, and refuses one with another name or value', async () => {
    const value = 'corp since 2024-05-01T10:00:00Z';
    const mine = { id: 31, attribute_id: 4, name: 'Entra Block', value };
    const analyst = { id: 30, attribute_id: 5, name: 'Comment', value: 'keep' };
    expect(await writerAnswering([analyst, mine]).addAttribute(1, 'Entra Block', value)).toEqual({ id: 31, attributeId: 4, name: 'Entra Block', value });
    await expect(writerAnswering([analyst]).addAttribute(1, 'Entra Block', value)).rejects.toMatchObject({ code: 'ERR_THREATQ_RESPONSE' });
    const older = { ...mine, id: 29, value: 'corp since 2023-01-01T00:00:00Z' };
    await expect(writerAnswering([older]).addAttribute(1, 'Entra Block', value)).rejects.toMatchObject({ code: 'ERR_THREATQ_RESPONSE' });
  });
});
