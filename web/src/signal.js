// A tiny observable value (no framework: the boot module and the words use it before Preact loads).
export function signal(value) {
  const subs = new Set();
  return {
    get: () => value,
    set(v) { value = v; subs.forEach((f) => f(v)); },
    subscribe(f) { subs.add(f); return () => subs.delete(f); },
  };
}
