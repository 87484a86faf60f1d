#!/usr/bin/env node
// `capture analyze` starts without oclif when its command line is plain (commands/capture/_analyze-fast.ts says
// which; anything else, help included, goes to oclif): loading oclif was a quarter of its run on 10^6 frames.
// first: EPIPE on stdout (`| head`) is noted, not a crash (src/util/stdio.ts)
const {guardStdio} = await import('../dist/src/util/stdio.js')
guardStdio()
const argv = process.argv.slice(2)
let done = false
if (argv[0] === 'capture' && argv[1] === 'analyze') {
  const {fastCaptureAnalyze} = await import('../dist/commands/capture/_analyze-fast.js')
  done = await fastCaptureAnalyze(argv.slice(2))
}
if (!done) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
