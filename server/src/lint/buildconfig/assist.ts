/**
 * Hovers in build files: over a Go linker flag inside -ldflags, a go build flag, or an option of codesign,
 * notarytool or stapler, explain what it really does (flagDocs.ts).
 */
import type { Range } from '../diagnostic';
import { buildFileParts, BuildFileKind } from './buildFiles';
import {
  CODESIGN_OPTIONS,
  FlagDoc,
  GO_BUILD_FLAGS,
  LINKER_FLAGS,
  NOTARYTOOL_OPTIONS,
  STAPLER_OPTIONS,
} from './flagDocs';
import { fromCommand } from './goBuild';
import { parseLdflags } from './ldflags';
import { CODESIGN, GO_BUILD, NOTARYTOOL, OptionSpec, parseOptions } from './options';
import type { Word } from './shell';

export interface BuildHover {
  markdown: string;
  range: Range;
}

const inside = (r: Range, offset: number) => offset >= r.start && offset < r.end;

function render(doc: FlagDoc, tool: string): string {
  return `**${tool}** \`${doc.syntax}\`\n\n${doc.text}`;
}

function linkerHover(words: Word[], offset: number): BuildHover | undefined {
  for (const word of words) {
    if (!inside(word.range, offset)) continue;
    for (const flag of parseLdflags(word)) {
      if (!inside(flag.range, offset)) continue;
      const doc = LINKER_FLAGS[flag.name];
      return doc
        ? { markdown: render(doc, 'Go linker'), range: flag.range }
        : {
            markdown: `**Go linker** \`-${flag.name}\`\n\nNot a flag this extension knows; see \`go tool link -help\`.`,
            range: flag.range,
          };
    }
  }
  return undefined;
}

function optionHover(
  args: Word[],
  spec: OptionSpec,
  docs: Record<string, FlagDoc>,
  tool: string,
  offset: number,
): BuildHover | undefined {
  const parsed = parseOptions(args, spec);
  for (const option of parsed.options) {
    if (inside(option.word.range, offset) || (option.valueWord && inside(option.valueWord.range, offset))) {
      const doc = docs[option.name];
      if (doc) return { markdown: render(doc, tool), range: option.word.range };
    }
  }
  const sub = parsed.operands[0];
  if (sub && inside(sub.range, offset) && docs[sub.text])
    return { markdown: render(docs[sub.text], tool), range: sub.range };
  return undefined;
}

export function buildHoverAt(kind: BuildFileKind, text: string, offset: number): BuildHover | undefined {
  const { invocations, builds } = buildFileParts(kind, text);
  for (const build of builds) {
    const hover = linkerHover(build.ldflags, offset);
    if (hover) return hover;
  }
  for (const inv of invocations) {
    if (!inside(inv.range, offset)) continue;
    if (inv.tool === 'go') {
      const args = inv.args.slice(1);
      const build = fromCommand(args, inv.env, inv.range);
      const hover = linkerHover(build.ldflags, offset);
      if (hover) return hover;
      for (const option of parseOptions(args, GO_BUILD).options) {
        if (!inside(option.word.range, offset)) continue;
        const doc = GO_BUILD_FLAGS[option.name];
        if (doc) return { markdown: render(doc, 'go build'), range: option.word.range };
      }
    }
    if (inv.tool === 'codesign') return optionHover(inv.args, CODESIGN, CODESIGN_OPTIONS, 'codesign', offset);
    if (inv.tool === 'notarytool') return optionHover(inv.args, NOTARYTOOL, NOTARYTOOL_OPTIONS, 'notarytool', offset);
    if (inv.tool === 'stapler')
      return optionHover(inv.args, { short: {}, withValue: new Set() }, STAPLER_OPTIONS, 'stapler', offset);
  }
  return undefined;
}
