/** The vocabulary a merge trainer grows: tokens in id order, their ids, and add (existing id, or the next one). */
export interface TokenTable {
  readonly id2w: string[];
  readonly w2id: Map<string, number>;
  add(token: string): number;
}

/** add() uses no `this`, so it may be destructured. */
export function tokenTable(): TokenTable {
  const id2w: string[] = [];
  const w2id = new Map<string, number>();
  return {
    id2w,
    w2id,
    add(token: string): number {
      let id = w2id.get(token);
      if (id === undefined) {
        id = id2w.length;
        id2w.push(token);
        w2id.set(token, id);
      }
      return id;
    },
  };
}
