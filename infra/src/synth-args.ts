export interface SynthArgs {
  outdir: string | undefined;
  context: Record<string, string>;
}

/** The CDK CLI's own spelling: `-c key=value` (or `--context`) and `-o dir` (or `--output`). */
export function parseSynthArgs(argv: string[]): SynthArgs {
  const args: SynthArgs = { outdir: undefined, context: {} };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i += 1;
    if (flag === '-o' || flag === '--output') {
      args.outdir = value;
    } else if (flag === '-c' || flag === '--context') {
      const separator = value.indexOf('=');
      if (separator <= 0) throw new Error(`${flag} takes key=value, got "${value}"`);
      args.context[value.slice(0, separator)] = value.slice(separator + 1);
    } else {
      throw new Error(`unknown argument "${flag}": expected -c key=value or -o dir`);
    }
  }
  return args;
}
