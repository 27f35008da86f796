// $(VAR) expansion of env values, command, args and subPathExpr (kubernetes third_party/forked/golang/expansion).
// `$(NAME)` is replaced through the mapping, `$$` is an escaped `$`, and anything else — an unclosed `$(`, a `$`
// before another character, a name nothing defines — is left as written.

/** Looks a name up in each context in turn; an unknown name stays `$(NAME)`. */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): (name: string) => string {
  return (name) => {
    for (const c of contexts) {
      const v = c.get(name);
      if (v !== undefined) return v;
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: (name: string) => string): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    // A `$` as the last character is literal.
    if (dollar < 0 || dollar === input.length - 1) break;
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '(') {
      const close = input.indexOf(')', dollar + 2);
      if (close < 0) {
        // Unclosed reference: emit `$(` and keep scanning after it.
        out += '$(';
        i = dollar + 2;
      } else {
        out += mapping(input.slice(dollar + 2, close));
        i = close + 1;
      }
    } else {
      out += `$${next}`;
      i = dollar + 2;
    }
  }
  return out + input.slice(i);
}
