/**
 * oclif help with the descriptions unwrapped: the command classes keep their long descriptions wrapped at
 * ~110 columns in the source, and oclif wraps them again at the terminal's width, which left ragged lines
 * (a long line, then a two-word one). Paragraphs (blank-line separated) and list items stay as written.
 * Wrapping breaks at spaces only: oclif's own wrap is "hard" and split values such as
 * `cluster-mo`/`ve` of an option list across lines.
 */
import {CommandHelp, Help, type Command} from '@oclif/core'

/** Joins the soft line breaks of a paragraph; keeps blank lines, indented lines and list items. */
export function unwrap(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((para) =>
      para
        .split('\n')
        .reduce<string[]>((out, line) => {
          const keep = out.length === 0 || /^(\s|[-*•] |\d+[.)] )/.test(line)
          if (keep) out.push(line)
          else out[out.length - 1] = `${out[out.length - 1] ?? ''} ${line.trim()}`
          return out
        }, [])
        .join('\n'),
    )
    .join('\n\n')
}

/** Wraps each line at spaces to `width` columns; a word longer than that stays whole on its own line. */
export function softWrap(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = []
      let cur = ''
      for (const word of line.split(' ')) {
        if (cur !== '' && cur.length + 1 + word.length > width) {
          out.push(cur)
          cur = word
        } else cur = cur === '' ? word : `${cur} ${word}`
      }
      out.push(cur)
      return out.join('\n')
    })
    .join('\n')
}

class HachaosCommandHelp extends CommandHelp {
  override wrap(body: string, spacing = this.indentSpacing): string {
    return softWrap(this.render(body), this.opts.maxWidth - spacing)
  }
}

export default class HachaosHelp extends Help {
  protected override CommandHelpClass = HachaosCommandHelp

  override wrap(body: string, spacing = this.indentSpacing): string {
    return softWrap(this.render(body), this.opts.maxWidth - spacing)
  }

  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    const description = command.description === undefined ? undefined : unwrap(command.description)
    return super.showCommandHelp({...command, ...(description === undefined ? {} : {description})} as Command.Loadable)
  }
}
