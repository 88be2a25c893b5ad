import { useCallback, useEffect, useState } from 'react';
import { apiRequest } from './api';

export interface TResource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Loads `path` with GET when it changes; `reload` fetches again and keeps the old data until the new arrives. */
export function useResource<T>(path: string | null, options: { anonymous?: boolean } = {}): TResource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(path !== null);
  const anonymous = options.anonymous ?? false;

  const load = useCallback(async () => {
    if (path === null) {
      return;
    }
    setLoading(true);
    try {
      setData(await apiRequest<T>('GET', path, { anonymous }));
      setError(undefined);
    } catch (caught) {
      setError(caught);
    } finally {
      setLoading(false);
    }
  }, [path, anonymous]);

  useEffect(() => {
    setData(undefined);
    void load();
  }, [load]);

  return { data, error, loading, reload: load };
}
