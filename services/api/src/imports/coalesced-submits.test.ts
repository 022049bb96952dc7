import { type ImportRecord, newImportId } from '@ferry/shared';
import { describe, expect, it } from 'vitest';
import { CoalescedSubmits } from './coalesced-submits.ts';

const record = (tenant: string): ImportRecord => ({
  id: newImportId(),
  tenant,
  status: 'queued',
  request: {
    source: { type: 'http', url: 'https://files.example.com/a.bin' },
    destination: { bucket: 'bucket-1', key: 'a.bin' },
  },
  createdAt: '2026-12-04T00:00:00.000Z',
  updatedAt: '2026-12-04T00:00:00.000Z',
  bytesDone: 0,
  bytesTotal: null,
  attempts: 0,
});

describe('CoalescedSubmits', () => {
  it('writes the submits of one turn together, in order, and those of the next turn apart', async () => {
    const writes: string[][] = [];
    const submits = new CoalescedSubmits(async (records) => {
      writes.push(records.map((r) => r.tenant));
    });
    await Promise.all([
      submits.submit(record('a')),
      submits.submit(record('b')),
      submits.submit(record('a')),
    ]);
    await submits.submit(record('c'));
    expect(writes).toEqual([['a', 'b', 'a'], ['c']]);
  });

  it("fails every submit of a write that fails, and not the next turn's", async () => {
    let calls = 0;
    const submits = new CoalescedSubmits(async () => {
      calls++;
      if (calls === 1) throw new Error('redis away');
    });
    const together = [submits.submit(record('a')), submits.submit(record('b'))];
    const outcomes = await Promise.allSettled(together);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    await expect(submits.submit(record('a'))).resolves.toBeUndefined();
  });
});
