import {readFileSync} from 'node:fs'
import {join} from 'node:path'

/** test/fixtures/bond, from dist/test/unit/bond (tsc output) or test/unit/bond. */
export const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'bond')

export function fixtureDir(name: string): string {
  return join(FIXTURES, name)
}

export function procText(name: string, bond = 'bond0'): string {
  return readFileSync(join(FIXTURES, name, 'proc', 'net', 'bonding', bond), 'utf8')
}
