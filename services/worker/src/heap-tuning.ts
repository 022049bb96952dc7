import { setFlagsFromString } from 'node:v8';

/**
 * Two V8 heap settings that keep a worker's memory flat while it moves bytes for a long time. The
 * part bytes themselves never were the problem (they live in the memory budget's reused blocks);
 * what grew was V8's own heap sizing under a transfer's steady stream of short-lived objects:
 *
 * - The young generation stays at its initial 1 MiB semi-spaces instead of doubling up to 32 MiB
 *   ones (`--semi-space-growth-factor=1`). Scavenges of a small young generation are frequent and
 *   cheap, since nearly nothing in it survives.
 * - The old generation may grow 20% past what survived the last full GC before the next one
 *   (`--heap-growing-percent=20`) rather than V8's 1.1–4×, so the SDK's per-request objects that
 *   live long enough to be promoted do not pile up between full GCs.
 *
 * Measured on one worker moving a file into a null sink: peak RSS 151 MiB for 1 GiB and 193 MiB for
 * 5 GiB with V8's defaults, 130 and 133 MiB with these, at the same CPU per GiB.
 *
 * A side-effect module the worker's entry points import before anything else, so that it applies
 * before the modules load (loading them grows the young generation otherwise). V8 reads both flags
 * whenever it resizes the heap; that is why they may be set at run time. An operator's own flags for
 * the same, on the command line or in NODE_OPTIONS, win.
 */
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const gives = (pattern: RegExp) => given.some((flag) => pattern.test(flag));

if (!gives(/^--(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/)) {
  setFlagsFromString('--semi-space-growth-factor=1');
}
if (!gives(/^--heap[-_]growing[-_]percent\b/)) setFlagsFromString('--heap-growing-percent=20');
