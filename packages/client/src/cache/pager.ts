/**
 * tools/pager: a paginated list gathered into one result. When the snapshot the first page was
 * read at is compacted before the last page (410 Expired on a continuation), it falls back to one
 * unpaginated list at the originally requested resourceVersion, as upstream does.
 */
import type { ListOptions } from '@kubets/apimachinery';
import { isResourceExpired } from '@kubets/apimachinery';
import type { ListResult, ListerWatcher, RequestOptions } from '../rest/interfaces.js';

export const DEFAULT_PAGE_SIZE = 500;

export interface PagedListResult<T> {
  items: T[];
  resourceVersion: string;
  /** True when the server honoured the limit (returned a continue token). */
  paginated: boolean;
}

export async function listAllPages<T>(
  lister: Pick<ListerWatcher<T>, 'list'>,
  options: ListOptions,
  pageSize: number,
  request: RequestOptions = {},
): Promise<PagedListResult<T>> {
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw new RangeError(`page size must be an integer >= 0, got ${pageSize}`);
  }
  const base: ListOptions & RequestOptions = { ...options, signal: request.signal };
  if (pageSize === 0) {
    const r = await lister.list({ ...base, limit: undefined, continue: undefined });
    return { items: r.items, resourceVersion: r.resourceVersion, paginated: false };
  }
  const items: T[] = [];
  let paginated = false;
  let cont: string | undefined;
  for (;;) {
    let page: ListResult<T>;
    try {
      page = await lister.list(
        cont === undefined
          ? { ...base, limit: pageSize }
          : // Continuation pages carry no resourceVersion: the token pins the snapshot.
            {
              ...base,
              limit: pageSize,
              continue: cont,
              resourceVersion: undefined,
              resourceVersionMatch: undefined,
            },
      );
    } catch (err) {
      if (cont === undefined || !isResourceExpired(err)) throw err;
      const full = await lister.list({ ...base, limit: undefined, continue: undefined });
      return { items: full.items, resourceVersion: full.resourceVersion, paginated: true };
    }
    for (const item of page.items) items.push(item);
    if (!page.continue) return { items, resourceVersion: page.resourceVersion, paginated };
    paginated = true;
    cont = page.continue;
  }
}
