#!/usr/bin/env node
// Development entry: oclif registers tsx and runs commands from the TypeScript sources. The list of
// commands comes from oclif.manifest.json when it exists (`npm run build` writes it): after adding a
// command, build once or delete the manifest.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
