#!/usr/bin/env node
// Development entry: oclif registers tsx and runs commands from the TypeScript sources.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
