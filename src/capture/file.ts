/**
 * A saved capture, whatever its format: a pcap (recognised by its magic number) or the text of
 * `tcpdump -n -tt -e` (with or without -v). Files that are neither get a clear BAD_INPUT error naming them.
 */
import {readFile} from 'node:fs/promises'

import {HachaosError} from '../errors.js'
import type {CaptureParse} from './events.js'
import {pcapMagic, readHead, readPcap} from './pcap.js'
import {parseTcpdumpText} from './tcpdump-text.js'

export interface CaptureFile extends CaptureParse {
  path: string
  format: 'pcap' | 'text'
}

/**
 * Binary, not text: more than 5 % of the bytes are C0 controls other than tab, LF, CR, ESC (random bytes
 * have about 11 %; a text capture with a stray junk line, which the text parser counts, far fewer).
 */
function looksBinary(b: Buffer): boolean {
  let bad = 0
  for (const x of b) if (x < 0x20 && x !== 9 && x !== 10 && x !== 13 && x !== 27) bad += 1
  return bad > b.length / 20
}

/** Read a capture file into events; `host` names the host the capture ran on. */
export async function readCaptureFile(path: string, host: string): Promise<CaptureFile> {
  const head = await readHead(path, 4096)
  if (head.length === 0) {
    throw new HachaosError(`${path} is empty`, {code: 'E_CAPTURE_EMPTY', exit: 'BAD_INPUT', where: path, suggestions: ['was tcpdump stopped before any packet arrived?']})
  }
  if (pcapMagic(head) !== 'unknown') return {path, format: 'pcap', ...(await readPcap(path, host))}
  if (looksBinary(head)) {
    throw new HachaosError(`${path} is neither a pcap file nor a tcpdump text capture (binary, magic ${head.subarray(0, 4).toString('hex')})`, {
      code: 'E_CAPTURE_FORMAT',
      exit: 'BAD_INPUT',
      where: path,
      suggestions: ["capture with: tcpdump -n -tt -e -i IF -w FILE.pcap 'vrrp or arp'  (or save its text output)"],
    })
  }
  const text = await readFile(path, 'utf8')
  const r = parseTcpdumpText(text, host)
  // Refuse only a file in which not one line looks like tcpdump's (truncated lines still count as tcpdump's).
  const frameLike = /^\d+\.\d+ [0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5} > /
  if (r.events.length === 0 && r.ignored === 0 && r.unparsed.length > 0 && r.unparsed.every((u) => !frameLike.test(u.text))) {
    const first = r.unparsed[0]
    throw new HachaosError(
      `${path}: no line is a tcpdump -n -tt -e line (${r.unparsed.length} unparsed; line ${first?.n}: ${first?.reason})`,
      {
        code: 'E_CAPTURE_FORMAT',
        exit: 'BAD_INPUT',
        where: `${path}:${first?.n ?? 1}`,
        suggestions: ["capture with: tcpdump -l -n -tt -e -i IF 'vrrp or arp' > FILE.txt  (-e and -tt are needed)"],
      },
    )
  }
  return {path, format: 'text', ...r}
}
