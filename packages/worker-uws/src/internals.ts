/**
 * Node's undici keeps a Request's or Response's state in own symbol-keyed slots, and its methods and
 * `new Request(input)` read those slots after an `instanceof` brand check. Defining each slot on a
 * light class's prototype as an accessor to the real object (built on first use) lets undici treat
 * the light object as the real one. False when `real` has no such slots (another runtime).
 */
export function forwardInternals<T extends object>(prototype: object, real: object, materialize: (light: T) => object): boolean {
  const slots = Object.getOwnPropertySymbols(real);
  if (slots.length === 0 || Object.getOwnPropertyNames(real).length > 0) return false;
  for (const slot of slots) {
    Object.defineProperty(prototype, slot, {
      configurable: true,
      get(this: T) {
        return (materialize(this) as Record<symbol, unknown>)[slot];
      },
      set(this: T, value: unknown) {
        (materialize(this) as Record<symbol, unknown>)[slot] = value;
      },
    });
  }
  return true;
}
