/** The one name lookup rule: recorded as the target's own first, then the oldest, then the smallest id. */
import { describe, expect, it } from 'vitest';
import { sameNameOrder, sameNameWinner } from '../../src/graph/same-name-winner.ts';

const o = (id: string, createdDateTime: string) => ({ id, createdDateTime });

describe('sameNameWinner', () => {
  it('the oldest wins; ties go to the smallest id; an unreadable date counts as the youngest', () => {
    expect(sameNameWinner([o('b', '2024-06-01T00:00:00Z'), o('c', '2023-01-01T00:00:00.1234567Z')])?.id).toBe('c');
    expect(sameNameWinner([o('b', '2024-06-01T00:00:00Z'), o('a', '2024-06-01T00:00:00Z')])?.id).toBe('a');
    expect(sameNameWinner([o('a', ''), o('b', '2030-01-01T00:00:00Z')])?.id).toBe('b');
    expect(sameNameWinner([])).toBeUndefined();
  });

  it('an object recorded as the target’s own wins over an older one that is not (ids compared in lower case)', () => {
    const objects = [o('Admin', '2023-01-01T00:00:00Z'), o('Ours', '2024-06-01T00:00:00Z'), o('Ours-too', '2025-01-01T00:00:00Z')];
    expect(sameNameWinner(objects, new Set(['ours', 'ours-too']))?.id).toBe('Ours');
    expect(sameNameWinner(objects, new Set())?.id).toBe('Admin');
    expect([...objects].sort(sameNameOrder(new Set(['ours-too']))).map((x) => x.id)).toEqual(['Ours-too', 'Admin', 'Ours']);
  });
});
