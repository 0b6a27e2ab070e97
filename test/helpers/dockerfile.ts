/**
 * Just enough of the Dockerfile and .dockerignore formats for test/container.e2e-spec.ts to follow
 * the repository's own files instead of a copy of their steps: logical lines (backslash
 * continuations, comment lines), stages, instruction flags, exec (JSON) form, and the
 * .dockerignore pattern rules (`*`, `?`, `**`, `!` exceptions, a match on a directory excluding
 * what it holds, the last matching pattern winning).
 */
interface Instruction {
  /** Upper case: RUN, COPY, ... */
  keyword: string;
  /** `--name=value` options before the arguments (COPY --from, HEALTHCHECK --interval, ...). */
  flags: Record<string, string>;
  /** What follows the keyword and its flags, continuation lines joined. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  /** The FROM image reference. */
  image: string;
  /** The `AS` name, if any. */
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i])) continue;
    const line = i + 1;
    let logical = lines[i];
    // A continuation ends with a backslash; comment lines inside one are dropped, as Docker does.
    while (/\\\s*$/.test(logical) && i + 1 < lines.length) {
      logical = logical.replace(/\\\s*$/, '');
      do i++;
      while (i < lines.length && /^\s*#/.test(lines[i]));
      logical += i < lines.length ? lines[i] : '';
    }
    const match = /^\s*(\w+)\s*(.*)$/s.exec(logical);
    if (!match) throw new Error(`Dockerfile:${line}: cannot read "${logical}"`);
    const keyword = match[1].toUpperCase();
    const flags: Record<string, string> = {};
    let args = match[2].trim();
    for (let flag = /^--([\w-]+)=(\S*)\s*/.exec(args); flag; flag = /^--([\w-]+)=(\S*)\s*/.exec(args)) {
      flags[flag[1]] = flag[2];
      args = args.slice(flag[0].length);
    }
    if (keyword === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
      continue;
    }
    if (!stages.length) {
      if (keyword === 'ARG') continue;
      throw new Error(`Dockerfile:${line}: ${keyword} before FROM`);
    }
    stages[stages.length - 1].instructions.push({ keyword, flags, args, line });
  }
  return stages;
}

/** The arguments of CMD, ENTRYPOINT, RUN or HEALTHCHECK ... CMD in exec form; throws on shell form. */
export function execForm(args: string): string[] {
  const parsed: unknown = args.startsWith('[') ? JSON.parse(args) : undefined;
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`not in exec (JSON) form: ${args}`);
  }
  return parsed;
}

/** `NAME=value` pairs of an ENV instruction (the legacy `ENV NAME value` form too). */
export function envPairs(args: string): Record<string, string> {
  if (!args.includes('=')) {
    const [name, ...value] = args.split(/\s+/);
    return { [name]: value.join(' ') };
  }
  const pairs: Record<string, string> = {};
  for (const [, name, quoted, bare] of args.matchAll(/([\w.-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g)) {
    pairs[name] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare;
  }
  return pairs;
}

/** A predicate telling whether a context-relative path (`src/main.ts`) is left out of the build context. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!');
      const pattern = (exception ? line.slice(1) : line).trim().replace(/^\/+|\/+$/g, '');
      return { exception, regex: patternRegex(pattern) };
    });
  return (path) => {
    const parents = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { exception, regex } of rules) {
      if (parents.some((prefix) => regex.test(prefix))) excluded = !exception;
    }
    return excluded;
  };
}

function patternRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
