import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/open-store.js';
import type { HistoryStore } from '../../../src/store/types.js';
import { BACKENDS } from '../backends.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.each(BACKENDS)('$name store: media by content, linked from inbox entries', ({ freshDb }) => {
  const open: HistoryStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  const fresh = async () => {
    const store = await openStore(freshDb('media'));
    open.push(store);
    return store;
  };

  it('keeps bytes under their SHA-256 once, refuses a wrong digest, and links entries to them until the entry is purged', async () => {
    const store = await fresh();
    // Every byte value, NUL included: a blob, not text.
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const hash = sha256(bytes);
    expect(await store.getMedia(hash)).toBeNull();
    await store.putMedia({ hash, mimeType: 'image/png', bytes });
    await store.putMedia({ hash, mimeType: 'image/png', bytes });
    const stored = await store.getMedia(hash);
    expect(stored).toMatchObject({ hash, mimeType: 'image/png', size: 256 });
    expect(stored!.bytes.equals(bytes)).toBe(true);
    expect(stored!.createdAt).toBeInstanceOf(Date);
    await expect(store.putMedia({ hash: sha256(Buffer.from('other')), mimeType: 'image/png', bytes })).rejects.toThrow(/not the SHA-256/);

    const { id } = await store.enqueueInbox({ sessionId: 'chat', eventKey: 'e1', payload: {} });
    expect(await store.inboxMedia(id!)).toEqual([]);
    await store.linkInboxMedia(id!, 1, hash);
    await store.linkInboxMedia(id!, 0, hash);
    await store.linkInboxMedia(id!, 0, hash);
    expect(await store.inboxMedia(id!)).toEqual([
      { position: 0, hash },
      { position: 1, hash },
    ]);
    await store.withSessionLock('chat', (s) => s.completeInbox([id!], 'done'));
    expect(await store.purgeInbox(new Date(Date.now() + 1000))).toBe(1);
    expect(await store.inboxMedia(id!)).toEqual([]);
    // The media stay: the history's messages refer to them.
    expect(await store.getMedia(hash)).not.toBeNull();
  });
});
