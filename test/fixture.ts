/** Paths of committed test fixtures (test/fixtures/…), from the compiled tests in dist/test/…. */
import {readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root (this file compiles to dist/test/fixture.js). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export function fixturePath(...parts: string[]): string {
  return join(REPO_ROOT, 'test', 'fixtures', ...parts)
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8')
}
