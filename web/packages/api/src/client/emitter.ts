/** A small typed event emitter. Listener exceptions are reported and never break other listeners. */
export type Listener<T> = (payload: T) => void

export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>()

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type)
    if (!set) {
      set = new Set()
      this.listeners.set(type, set)
    }
    set.add(listener as Listener<never>)
    return () => this.off(type, listener)
  }

  once<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(type, (p) => {
      off()
      listener(p)
    })
    return off
  }

  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): void {
    this.listeners.get(type)?.delete(listener as Listener<never>)
  }

  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.listeners.get(type)
    if (!set || set.size === 0) return
    // Copy so that listeners may unsubscribe while we iterate.
    for (const l of [...set]) {
      try {
        ;(l as Listener<Events[K]>)(payload)
      } catch (err) {
        console.error(`[emitter] listener for "${String(type)}" threw`, err)
      }
    }
  }

  listenerCount(type: keyof Events): number {
    return this.listeners.get(type)?.size ?? 0
  }

  removeAllListeners(): void {
    this.listeners.clear()
  }
}
