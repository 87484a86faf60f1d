/**
 * A binary min-heap. Hand-written rather than @datastructures-js/heap: it sits on the per-event hot path of
 * the timeline machine (one push and one pop per event in the reorder buffer), where a 40-line array heap
 * with a plain comparator and no per-node wrapper objects is what we want, and a dependency would add nothing.
 */
export class MinHeap<T> {
  private readonly a: T[] = []

  constructor(private readonly less: (x: T, y: T) => boolean) {}

  get size(): number {
    return this.a.length
  }

  peek(): T | undefined {
    return this.a[0]
  }

  push(x: T): void {
    const a = this.a
    let i = a.length
    a.push(x)
    while (i > 0) {
      const p = (i - 1) >> 1
      const ap = a[p] as T
      if (!this.less(x, ap)) break
      a[i] = ap
      i = p
    }
    a[i] = x
  }

  pop(): T | undefined {
    const a = this.a
    const top = a[0]
    const last = a.pop()
    if (a.length === 0 || last === undefined) return top
    const n = a.length
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && this.less(a[r] as T, a[l] as T) ? r : l
      if (!this.less(a[c] as T, last)) break
      a[i] = a[c] as T
      i = c
    }
    a[i] = last
    return top
  }
}
