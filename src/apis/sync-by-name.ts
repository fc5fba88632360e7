/** How one kind of an API's named sub-resources (authorizers, validators, models) is written. */
export interface NamedWrites<T> {
  update(id: string, item: T): Promise<unknown>;
  /** Inserts a new one and returns its id. */
  insert(name: string, item: T): Promise<string>;
  remove(ids: string[]): Promise<unknown>;
}

/**
 * Makes an API's named sub-resources match what an import declares: a name that exists keeps its
 * id and takes the declared settings, a new name is inserted, and with `overwrite` the names not
 * declared are deleted. Returns name → id of what the API holds afterwards.
 */
export async function syncByName<T>(
  existing: ReadonlyArray<{ id: string; name: string }>,
  declared: Iterable<readonly [string, T]>,
  overwrite: boolean,
  writes: NamedWrites<T>,
): Promise<Map<string, string>> {
  const ids = new Map(existing.map((e) => [e.name, e.id]));
  const names = new Set<string>();
  for (const [name, item] of declared) {
    names.add(name);
    const id = ids.get(name);
    if (id) await writes.update(id, item);
    else ids.set(name, await writes.insert(name, item));
  }
  if (overwrite) {
    const stale = existing.filter((e) => !names.has(e.name));
    if (stale.length) await writes.remove(stale.map((e) => e.id));
    for (const e of stale) ids.delete(e.name);
  }
  return ids;
}
