#!/usr/bin/env node
// Writes oclif.manifest.json from the built commands (what `oclif manifest` does, without the oclif CLI
// and its dependencies). With a manifest, oclif imports only the command being run; without one it imports
// every command on each start to learn their flags. Run by `npm run build`, so it never goes stale against dist/.
import {writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Plugin} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
await plugin.load()
const ids = Object.keys(plugin.manifest.commands)
if (ids.length === 0) throw new Error(`no commands found under ${root}/dist/commands: build first`)
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`)
process.stdout.write(`oclif.manifest.json: ${ids.length} commands\n`)
