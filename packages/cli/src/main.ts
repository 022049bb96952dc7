#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ApiClient, ApiError, apiSettings } from './api-client.ts';
import { LOCAL_S3_KINDS, type LocalS3Kind } from './stack/local-s3-kind.ts';

const USAGE = `Ferry: import large files into Amazon S3.

Usage: pnpm ferry <command> [options]

  up [--autoscale N] [--ecs]           whole local stack (Redis, S3, API, 2 workers) until Ctrl-C;
     [--s3 radosgw]                    --autoscale: the autoscaler runs 1 to N workers instead;
                                       --ecs: the workers are tasks of an ECS/CloudWatch stand-in's
                                       service, sized by the autoscaler in ecs mode (1 to N, or 4);
                                       --s3 radosgw: Ceph RGW (a one-node cluster) instead of fauxqs
  demo [--size MiB] [--s3 radosgw]     start the local stack, import a sample file, verify, stop
  api                                  the HTTP API, as a container runs it
  worker                               one worker process, as a container runs it
  autoscaler                           the autoscaler (AUTOSCALER_MODE local, ecs or dry-run)
  autoscaler simulate --trace <csv>    replay a load trace through the scaling policy; writes an SVG
  import <source> s3://bucket/key      submit an import (source: http(s) URL, s3://bucket/key,
                                       dropbox:/path or gdrive:<file id>; tokens from env)
         [--wait] [--header "Name: value"]...
  import --manifest <file>             a job of every row of a .csv/.tsv (url[,bucket][,key], and
         [--bucket B] [--key-template T]   overwrite, size, md5, sha256, crc32c; or a GCS
         [--overwrite P] [--wait]      TsvHttpData-1.0 list) or .ndjson file ({ source, destination }
                                       a line); --overwrite always|never|if-different for rows that
                                       give none; --wait shows the job's progress and its report
  status <id>                          one import as JSON
  ls [--status S] [--cursor C]         your imports, newest first
  cancel <id>                          cancel a queued or running import
  queues                               queue counts and connected workers

The CLI talks to FERRY_API_URL with FERRY_API_KEY (defaults: the stack \`ferry up\` started).`;

function localS3Kind(value: string): LocalS3Kind {
  if ((LOCAL_S3_KINDS as readonly string[]).includes(value)) return value as LocalS3Kind;
  throw new UsageError(`--s3 takes ${LOCAL_S3_KINDS.join(' or ')}, not "${value}"`);
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const client = () => new ApiClient(apiSettings());
  switch (command) {
    case 'up': {
      const { values } = parseArgs({
        args: rest,
        options: {
          autoscale: { type: 'string' },
          ecs: { type: 'boolean', default: false },
          s3: { type: 'string', default: 'fauxqs' },
        },
      });
      const s3 = localS3Kind(values.s3);
      const max = values.autoscale === undefined ? undefined : Number(values.autoscale);
      if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 64))
        throw new UsageError('--autoscale takes the most workers to run, a whole number from 1 to 64');
      const { up } = await loadLocalStackCommand(() => import('./commands/up.ts'));
      return up(max, s3, values.ecs);
    }
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: { size: { type: 'string', default: '256' }, s3: { type: 'string', default: 'fauxqs' } },
      });
      const size = Number(values.size);
      if (!Number.isInteger(size) || size < 1 || size > 10_240)
        throw new UsageError('--size must be a whole number of MiB from 1 to 10240');
      const { demo } = await loadLocalStackCommand(() => import('./commands/demo.ts'));
      return demo(size, localS3Kind(values.s3));
    }
    case 'api':
    case 'worker':
      return (await import('./commands/serve.ts')).serve(command);
    case 'autoscaler':
      if (rest[0] === 'simulate') {
        const { runSimulateCommand } = await import('@ferry/autoscaler/simulate');
        return runSimulateCommand(rest.slice(1), process);
      }
      if (rest.length > 0) throw new UsageError('usage: ferry autoscaler [simulate --trace <csv>]');
      return (await import('./commands/serve.ts')).serve(command);
    case 'import': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          wait: { type: 'boolean', default: false },
          header: { type: 'string', multiple: true, default: [] },
          manifest: { type: 'string' },
          bucket: { type: 'string' },
          'key-template': { type: 'string' },
          overwrite: { type: 'string' },
        },
      });
      if (values.manifest !== undefined) {
        if (positionals.length > 0 || values.header.length > 0) {
          throw new UsageError(
            'usage: ferry import --manifest <file> [--bucket B] [--key-template T] [--overwrite P] [--wait]',
          );
        }
        const jobs = await import('./commands/jobs.ts');
        const contentType = jobs.manifestContentType(values.manifest);
        if (!contentType) {
          throw new UsageError(
            `--manifest takes a .csv, .tsv, .ndjson or .jsonl file, not "${values.manifest}"`,
          );
        }
        return jobs.manifestImportCommand(client(), values.manifest, contentType, {
          bucket: values.bucket,
          keyTemplate: values['key-template'],
          overwrite: values.overwrite,
          wait: values.wait,
        });
      }
      const [source, destination] = positionals;
      if (!source || !destination || positionals.length > 2)
        throw new UsageError('usage: ferry import <source> s3://bucket/key [--wait]');
      return (await import('./commands/imports.ts')).importCommand(
        client(),
        source,
        destination,
        values.wait,
        values.header,
      );
    }
    case 'status':
    case 'cancel': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true });
      const [id] = positionals;
      if (!id || positionals.length > 1) throw new UsageError(`usage: ferry ${command} <id>`);
      const commands = await import('./commands/imports.ts');
      return command === 'status'
        ? commands.statusCommand(client(), id)
        : commands.cancelCommand(client(), id);
    }
    case 'ls': {
      const { values } = parseArgs({
        args: rest,
        options: { status: { type: 'string' }, cursor: { type: 'string' } },
      });
      return (await import('./commands/imports.ts')).listCommand(client(), values.status, values.cursor);
    }
    case 'queues':
      return (await import('./commands/queues.ts')).queuesCommand();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

/**
 * `up` and `demo` run the local stack from a checkout of the repository: @ferry/local-stack (fauxqs,
 * the radosgw starter) is a development dependency, so the production bundle the image runs has none.
 */
async function loadLocalStackCommand<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = error as { code?: string; message?: string };
    if (missing.code === 'ERR_MODULE_NOT_FOUND' && missing.message?.includes("'@ferry/local-stack'")) {
      throw new Error(
        'up and demo run from a checkout of the repository; this installation has no local stack',
      );
    }
    throw error;
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      process.stderr.write(`ferry: ${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof ApiError) {
      process.stderr.write(`ferry: ${error.code}: ${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`ferry: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  },
);
